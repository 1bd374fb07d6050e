// native/src/relay.cc: the post-L7 hand-off as a splice(2) relay.
//
// After the L7 decision the rest of the stream is byte-transparent. Rather
// than redirecting skbs with an sk_skb verdict (no back-pressure, FIN
// overtaking data, EPIPE from the zero-length FIN skb: see
// shared/anchors.md), each direction is moved socket -> pipe -> socket with
// splice(2) on a native thread. The bytes never enter user space, the pipe
// is bounded, so a slow reader closes the sender's TCP window exactly as if
// nobody were in the middle.
//
//   client fd --splice--> pipe[0] --splice--> upstream fd    (a -> b)
//   upstream fd --splice--> pipe[1] --splice--> client fd    (b -> a)
//
// The thread works on dup()s of the two descriptors, so a JS-side destroy()
// cannot make it splice into a recycled fd number. EOF on one side becomes
// shutdown(SHUT_WR) on the other once its pipe is empty (half-close kept);
// a reset or write error on either side ends both directions, and SO_LINGER
// {1, 0} makes the final close() in JS send RST to the surviving peer.
#include "common.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <thread>

namespace sluice {

namespace {

struct Direction {
  int src = -1, dst = -1;
  int pipe_r = -1, pipe_w = -1;
  size_t in_pipe = 0;  // bytes read from src, not yet written to dst
  bool eof = false;    // src said EOF
  bool done = false;   // eof and pipe drained and dst shut down
  std::atomic<uint64_t> bytes{0};
};

struct Result {
  int err = 0;            // errno that ended the relay (0 = clean)
  const char *where = "";  // "read" | "write" | "poll" | "cancel"
  uint64_t a_to_b = 0, b_to_a = 0;
};

class SpliceRelay : public Napi::ObjectWrap<SpliceRelay> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "SpliceRelay",
                       {InstanceMethod("cancel", &SpliceRelay::Cancel),
                        InstanceMethod("stats", &SpliceRelay::Stats)});
  }

  // new SpliceRelay(fdA, fdB, pipeBytes, onDone(err|null, aToB, bToA))
  explicit SpliceRelay(const Napi::CallbackInfo &info) : Napi::ObjectWrap<SpliceRelay>(info) {
    Napi::Env env = info.Env();
    if (!info[0].IsNumber() || !info[1].IsNumber() || !info[2].IsNumber() || !info[3].IsFunction()) {
      ThrowType(env, "SpliceRelay(fdA, fdB, pipeBytes, onDone) expects three numbers and a function");
      return;
    }
    int pipe_bytes = info[2].As<Napi::Number>().Int32Value();
    int fa = fcntl(info[0].As<Napi::Number>().Int32Value(), F_DUPFD_CLOEXEC, 0);
    int fb = fa < 0 ? -1 : fcntl(info[1].As<Napi::Number>().Int32Value(), F_DUPFD_CLOEXEC, 0);
    if (fa < 0 || fb < 0) {
      int e = errno;
      if (fa >= 0) close(fa);
      ThrowErrno(env, e, "cannot duplicate the socket descriptors for the relay", "fcntl");
      return;
    }
    a_ = fa;
    b_ = fb;
    dirs_[0].src = a_, dirs_[0].dst = b_;
    dirs_[1].src = b_, dirs_[1].dst = a_;
    for (Direction &d : dirs_) {
      int p[2];
      if (pipe2(p, O_CLOEXEC | O_NONBLOCK)) {
        int e = errno;
        Cleanup();
        ThrowErrno(env, e, "cannot create the relay pipe", "pipe2");
        return;
      }
      d.pipe_r = p[0], d.pipe_w = p[1];
      // A bigger pipe means fewer splice calls; the kernel caps it at
      // /proc/sys/fs/pipe-max-size, and a refusal just keeps 64 KiB.
      if (pipe_bytes > 0) fcntl(d.pipe_w, F_SETPIPE_SZ, pipe_bytes);
      int cap = fcntl(d.pipe_w, F_GETPIPE_SZ);
      pipe_cap_ = cap > 0 ? (size_t)cap : 65536;
    }
    cancel_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (cancel_fd_ < 0) {
      int e = errno;
      Cleanup();
      ThrowErrno(env, e, "cannot create the relay's eventfd", "eventfd");
      return;
    }
    done_ = Napi::ThreadSafeFunction::New(env, info[3].As<Napi::Function>(), "sluice-splice-relay", 0, 1);
    Ref();  // stay alive until the thread reports
    std::thread([this] { Run(); }).detach();
  }

 private:
  Napi::Value Cancel(const Napi::CallbackInfo &info) {
    if (cancel_fd_ >= 0) {
      uint64_t one = 1;
      ssize_t n = write(cancel_fd_, &one, sizeof one);
      (void)n;
    }
    return info.Env().Undefined();
  }

  Napi::Value Stats(const Napi::CallbackInfo &info) {
    Napi::Array out = Napi::Array::New(info.Env(), 2);
    out.Set(0u, Napi::Number::New(info.Env(), (double)dirs_[0].bytes.load()));
    out.Set(1u, Napi::Number::New(info.Env(), (double)dirs_[1].bytes.load()));
    return out;
  }

  void Cleanup() {
    for (Direction &d : dirs_) {
      if (d.pipe_r >= 0) close(d.pipe_r);
      if (d.pipe_w >= 0) close(d.pipe_w);
      d.pipe_r = d.pipe_w = -1;
    }
    if (a_ >= 0) close(a_);
    if (b_ >= 0) close(b_);
    a_ = b_ = -1;
  }

  // JS thread only (as is Cancel), so a cancel can never write into a
  // recycled descriptor.
  void CloseCancelFd() {
    if (cancel_fd_ >= 0) close(cancel_fd_);
    cancel_fd_ = -1;
  }

  // Moves what it can without blocking. Returns 0, or the errno that ends
  // the relay (with *where set).
  int Pump(Direction &d, const char **where) {
    for (;;) {
      bool progress = false;
      if (!d.eof && d.in_pipe < pipe_cap_) {
        ssize_t n = splice(d.src, nullptr, d.pipe_w, nullptr, pipe_cap_ - d.in_pipe,
                           SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
        if (n > 0) {
          d.in_pipe += (size_t)n;
          progress = true;
        } else if (n == 0) {
          d.eof = true;
        } else if (errno != EAGAIN && errno != EINTR) {
          *where = "read";
          return errno;
        }
      }
      if (d.in_pipe > 0) {
        ssize_t n = splice(d.pipe_r, nullptr, d.dst, nullptr, d.in_pipe, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
        if (n > 0) {
          d.in_pipe -= (size_t)n;
          d.bytes.fetch_add((uint64_t)n, std::memory_order_relaxed);
          progress = true;
        } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
          *where = "write";
          return errno;
        }
      }
      if (d.eof && d.in_pipe == 0 && !d.done) {
        // Everything src sent has been handed to dst's send queue: now, and
        // only now, pass the FIN on (half-close preserved).
        shutdown(d.dst, SHUT_WR);
        d.done = true;
      }
      if (!progress || d.done) return 0;
    }
  }

  void Run() {
    Result r;
    const char *where = "";
    int err = 0;
    while (!err && !(dirs_[0].done && dirs_[1].done)) {
      for (Direction &d : dirs_)
        if (!d.done && (err = Pump(d, &where))) break;
      if (err || (dirs_[0].done && dirs_[1].done)) break;
      pollfd fds[3];
      nfds_t n = 0;
      fds[n++] = {cancel_fd_, POLLIN, 0};
      for (Direction &d : dirs_) {
        if (d.done) continue;
        // Waiting to write drains the pipe; otherwise wait for input. Both
        // ends of a socket may appear twice (once per direction): poll
        // allows that.
        if (d.in_pipe > 0)
          fds[n++] = {d.dst, POLLOUT, 0};
        else
          fds[n++] = {d.src, POLLIN | POLLRDHUP, 0};
      }
      if (poll(fds, n, -1) < 0) {
        if (errno == EINTR) continue;
        err = errno, where = "poll";
        break;
      }
      if (fds[0].revents & POLLIN) {
        err = ECANCELED, where = "cancel";
        break;
      }
    }
    if (err && err != ECANCELED) {
      // Abrupt end: make the JS-side close() reset both connections rather
      // than pretend a clean FIN.
      linger lg = {1, 0};
      setsockopt(a_, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
      setsockopt(b_, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
      // No shutdown() here: a FIN first would let the survivor read a clean
      // EOF and never notice the RST that follows.
    }
    r.err = err;
    r.where = where;
    r.a_to_b = dirs_[0].bytes.load();
    r.b_to_a = dirs_[1].bytes.load();
    Cleanup();
    Result *heap = new Result(r);
    done_.BlockingCall(heap, [this](Napi::Env env, Napi::Function cb, Result *res) {
      Napi::Value e = env.Null();
      if (res->err) {
        std::string msg = std::string("splice relay ended on ") + res->where + ": " + strerror(res->err);
        Napi::Error je = Napi::Error::New(env, msg);
        je.Set("errno", Napi::Number::New(env, res->err));
        je.Set("code", Napi::String::New(env, ErrnoCode(res->err)));
        je.Set("syscall", Napi::String::New(env, res->where));
        e = je.Value();
      }
      CloseCancelFd();
      cb.Call({e, Napi::Number::New(env, (double)res->a_to_b), Napi::Number::New(env, (double)res->b_to_a)});
      delete res;
      Unref();
    });
    done_.Release();
  }

  int a_ = -1, b_ = -1, cancel_fd_ = -1;
  size_t pipe_cap_ = 65536;
  Direction dirs_[2];
  Napi::ThreadSafeFunction done_;
};

}  // namespace

void InitRelay(Napi::Env env, Napi::Object exports) {
  exports.Set("SpliceRelay", SpliceRelay::Define(env));
}

}  // namespace sluice
