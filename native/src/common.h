// native/src/common.h: what addon.cc, bpf.cc and relay.cc share.
#pragma once

#include <napi.h>
#include <string>

namespace sluice {

// Throws (as a pending JS exception) an Error with .errno (positive Linux
// errno, as in os.constants.errno), .code ('EPERM') and .syscall, whose
// message is the sentence given plus strerror(). Returns undefined so callers
// can `return ThrowErrno(...)`.
Napi::Value ThrowErrno(Napi::Env env, int err, const std::string &sentence,
                       const char *syscall);
Napi::Value ThrowType(Napi::Env env, const std::string &sentence);
const char *ErrnoCode(int err);

// The last lines libbpf printed (verifier log included), attached to errors.
std::string TakeLibbpfLog();

void InitBpf(Napi::Env env, Napi::Object exports);
void InitRelay(Napi::Env env, Napi::Object exports);

}  // namespace sluice
