;; A runaway guest: every call loops forever. Only an execution deadline stops it.
(module
  (memory (export "memory") 1)
  (func (export "__guest_call") (param i32 i32) (result i32)
    (loop $forever (br $forever))
    (unreachable)))
