// native/src/addon.cc: module entry and the error model.
//
// Every failure is a JS Error with .errno (positive, as os.constants.errno),
// .code ('EPERM', 'ENOENT', ...) and a sentence saying what was attempted.
#include "common.h"

#include <bpf/libbpf.h>
#include <cerrno>
#include <cstdarg>
#include <cstring>
#include <mutex>

namespace sluice {

namespace {

std::mutex log_mutex;
std::string libbpf_log;  // bounded tail of libbpf's output

int LibbpfPrint(enum libbpf_print_level level, const char *fmt, va_list args) {
  if (level == LIBBPF_DEBUG) return 0;
  char line[1024];
  int n = vsnprintf(line, sizeof line, fmt, args);
  std::lock_guard<std::mutex> lock(log_mutex);
  libbpf_log.append(line);
  if (libbpf_log.size() > 16384) libbpf_log.erase(0, libbpf_log.size() - 16384);
  return n;
}

}  // namespace

std::string TakeLibbpfLog() {
  std::lock_guard<std::mutex> lock(log_mutex);
  std::string out;
  out.swap(libbpf_log);
  return out;
}

const char *ErrnoCode(int err) {
  const char *name = strerrorname_np(err);  // glibc >= 2.32
  return name ? name : "EUNKNOWN";
}

Napi::Value ThrowErrno(Napi::Env env, int err, const std::string &sentence,
                       const char *syscall) {
  if (err < 0) err = -err;
  std::string msg = sentence + ": " + strerror(err) + " (" + ErrnoCode(err) + ")";
  Napi::Error e = Napi::Error::New(env, msg);
  e.Set("errno", Napi::Number::New(env, err));
  e.Set("code", Napi::String::New(env, ErrnoCode(err)));
  e.Set("syscall", Napi::String::New(env, syscall));
  std::string log = TakeLibbpfLog();
  if (!log.empty()) e.Set("log", Napi::String::New(env, log));
  e.ThrowAsJavaScriptException();
  return env.Undefined();
}

Napi::Value ThrowType(Napi::Env env, const std::string &sentence) {
  Napi::TypeError::New(env, sentence).ThrowAsJavaScriptException();
  return env.Undefined();
}

}  // namespace sluice

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  libbpf_set_print(sluice::LibbpfPrint);
  sluice::InitBpf(env, exports);
  sluice::InitRelay(env, exports);
  return exports;
}

NODE_API_MODULE(sluice_native, Init)
