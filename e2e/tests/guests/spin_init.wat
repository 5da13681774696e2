;; A guest whose initialisation never returns: instantiation must fail on the init deadline.
(module
  (memory (export "memory") 1)
  (func (export "wapc_init")
    (loop $forever (br $forever)))
  (func (export "__guest_call") (param i32 i32) (result i32)
    (i32.const 0)))
