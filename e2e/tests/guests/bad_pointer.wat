;; A guest that answers with a pointer far outside its memory. wasmtime-provider's host
;; function slices guest memory unchecked and panics; the harness must turn that into a
;; failed call and keep going.
(module
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (memory (export "memory") 1)
  (func (export "__guest_call") (param i32 i32) (result i32)
    (call $guest_response (i32.const 1000000) (i32.const 16))
    (i32.const 1)))
