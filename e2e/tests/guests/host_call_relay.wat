;; A hand-written waPC guest that relays each call to the host: guest operation `op` with
;; payload `p` becomes host call kubewarden/kubernetes/`op` with payload `p`, and the host's
;; reply (or error) becomes the guest's reply (or error). It exercises the real host-call path
;; through wasmtime without depending on any SDK.
(module
  (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
  (import "wapc" "__host_call"
    (func $host_call (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wapc" "__host_response_len" (func $host_response_len (result i32)))
  (import "wapc" "__host_response" (func $host_response (param i32)))
  (import "wapc" "__host_error_len" (func $host_error_len (result i32)))
  (import "wapc" "__host_error" (func $host_error (param i32)))
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (import "wapc" "__guest_error" (func $guest_error (param i32 i32)))

  ;; Layout: operation at 0, request at 256, reply at 64 KiB, constant strings at 192 KiB.
  (memory (export "memory") 4)
  (data (i32.const 196608) "kubewarden")
  (data (i32.const 196624) "kubernetes")

  (func (export "__guest_call") (param $op_len i32) (param $req_len i32) (result i32)
    (call $guest_request (i32.const 0) (i32.const 256))
    (if (result i32)
      (call $host_call
        (i32.const 196608) (i32.const 10)
        (i32.const 196624) (i32.const 10)
        (i32.const 0) (local.get $op_len)
        (i32.const 256) (local.get $req_len))
      (then
        (call $host_response (i32.const 65536))
        (call $guest_response (i32.const 65536) (call $host_response_len))
        (i32.const 1))
      (else
        (call $host_error (i32.const 65536))
        (call $guest_error (i32.const 65536) (call $host_error_len))
        (i32.const 0)))))
