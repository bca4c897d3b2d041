#pragma once
// A SQLite VFS shim for fault-injection tests: it forwards everything to the default
// VFS and, once armed, fails the N-th counted call of one kind (and every later one)
// until disarmed, as a failing disk would.

#include <string>

namespace praxis::test {

inline constexpr const char* kFaultVfsName = "praxis-fault";

enum class Fault {
  write_eio,   // xWrite → SQLITE_IOERR_WRITE (EIO)
  write_full,  // xWrite → SQLITE_FULL (ENOSPC)
  fsync,       // xSync  → SQLITE_IOERR_FSYNC
};

// Registers the VFS (not as default); safe to call more than once.
void register_fault_vfs();
void arm_fault(Fault fault, int nth);
void disarm_fault();
// Calls of the armed kind seen since arm_fault.
int fault_calls();

}  // namespace praxis::test
