// native/src/bpf.cc: libbpf operations for runtime/offload.
//
// Objects are loaded by `sluice kernel up` (root); the proxy only opens the
// maps they pinned (bpf_obj_get), which needs no capability beyond access to
// the pin files. Keys and values cross as Buffers whose layouts come from
// kernel/include/sluice.h (read in TypeScript through layout.gen.ts).
#include "common.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <vector>

#include "sluice.h"

namespace sluice {

namespace {

std::map<uint32_t, bpf_object *> objects;
uint32_t next_object_id = 1;

int IntArg(const Napi::CallbackInfo &info, size_t i) {
  return info[i].As<Napi::Number>().Int32Value();
}

bool CheckArgs(const Napi::CallbackInfo &info, const char *sig) {
  // sig: one letter per argument: s string, n number, b buffer, o object, f function
  for (size_t i = 0; sig[i]; i++) {
    bool ok = false;
    Napi::Value v = info[i];
    switch (sig[i]) {
      case 's': ok = v.IsString(); break;
      case 'n': ok = v.IsNumber(); break;
      case 'b': ok = v.IsBuffer(); break;
      case 'o': ok = v.IsObject(); break;
      case 'f': ok = v.IsFunction(); break;
    }
    if (!ok) {
      ThrowType(info.Env(), std::string("argument ") + std::to_string(i + 1) +
                                " has the wrong type (expected signature " + sig + ")");
      return false;
    }
  }
  return true;
}

bpf_object *ObjectArg(const Napi::CallbackInfo &info, size_t i) {
  auto it = objects.find(info[i].As<Napi::Number>().Uint32Value());
  if (it == objects.end()) {
    ThrowType(info.Env(), "unknown object handle (already closed?)");
    return nullptr;
  }
  return it->second;
}

// Sets a `const volatile` knob in .rodata before load, found through BTF.
int SetKnob(bpf_object *obj, const std::string &name, uint64_t value) {
  const btf *b = bpf_object__btf(obj);
  if (!b) return -ENOENT;
  bpf_map *rodata = nullptr, *m;
  bpf_object__for_each_map(m, obj) {
    const char *mn = bpf_map__name(m);
    size_t len = strlen(mn);
    if (bpf_map__is_internal(m) && len >= 7 && strcmp(mn + len - 7, ".rodata") == 0) rodata = m;
  }
  if (!rodata) return -ENOENT;
  int sec_id = btf__find_by_name_kind(b, ".rodata", BTF_KIND_DATASEC);
  if (sec_id < 0) return -ENOENT;
  const btf_type *sec = btf__type_by_id(b, sec_id);
  const btf_var_secinfo *vs = btf_var_secinfos(sec);
  for (int i = 0; i < btf_vlen(sec); i++, vs++) {
    const btf_type *var = btf__type_by_id(b, vs->type);
    if (name != btf__name_by_offset(b, var->name_off)) continue;
    size_t size = 0;
    const void *init = bpf_map__initial_value(rodata, &size);
    if (!init || vs->offset + vs->size > size) return -EINVAL;
    std::vector<char> copy((const char *)init, (const char *)init + size);
    if (vs->size == 4) {
      uint32_t v32 = (uint32_t)value;
      memcpy(copy.data() + vs->offset, &v32, 4);
    } else if (vs->size == 8) {
      memcpy(copy.data() + vs->offset, &value, 8);
    } else {
      return -EINVAL;
    }
    return bpf_map__set_initial_value(rodata, copy.data(), size);
  }
  return -ENOENT;
}

// loadObject(path, pinRoot, knobs) -> { id, programs: string[] }
Napi::Value LoadObject(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (!CheckArgs(info, "sso")) return env.Undefined();
  std::string path = info[0].As<Napi::String>();
  std::string pin_root = info[1].As<Napi::String>();
  Napi::Object knobs = info[2].As<Napi::Object>();
  TakeLibbpfLog();

  LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = pin_root.c_str());
  bpf_object *obj = bpf_object__open_file(path.c_str(), &opts);
  if (!obj) return ThrowErrno(env, errno, "cannot open BPF object " + path, "bpf_object__open_file");

  Napi::Array names = knobs.GetPropertyNames();
  for (uint32_t i = 0; i < names.Length(); i++) {
    std::string k = names.Get(i).As<Napi::String>();
    int err = SetKnob(obj, k, (uint64_t)knobs.Get(k).As<Napi::Number>().Int64Value());
    if (err) {
      bpf_object__close(obj);
      return ThrowErrno(env, err, "cannot set knob " + k + " in " + path, "bpf_map__set_initial_value");
    }
  }
  int err = bpf_object__load(obj);
  if (err) {
    bpf_object__close(obj);
    return ThrowErrno(env, err, "cannot load BPF object " + path + " (see .log for the verifier's words)",
                      "bpf_object__load");
  }
  uint32_t id = next_object_id++;
  objects[id] = obj;
  Napi::Object out = Napi::Object::New(env);
  out.Set("id", id);
  Napi::Array progs = Napi::Array::New(env);
  bpf_program *p;
  uint32_t n = 0;
  bpf_object__for_each_program(p, obj) progs.Set(n++, Napi::String::New(env, bpf_program__name(p)));
  out.Set("programs", progs);
  return out;
}

Napi::Value CloseObject(const Napi::CallbackInfo &info) {
  if (!CheckArgs(info, "n")) return info.Env().Undefined();
  auto it = objects.find(info[0].As<Napi::Number>().Uint32Value());
  if (it != objects.end()) {
    bpf_object__close(it->second);
    objects.erase(it);
  }
  return info.Env().Undefined();
}

bpf_program *ProgramArg(const Napi::CallbackInfo &info, bpf_object *obj, size_t i) {
  std::string name = info[i].As<Napi::String>();
  bpf_program *p = bpf_object__find_program_by_name(obj, name.c_str());
  if (!p) ThrowErrno(info.Env(), ENOENT, "no program named " + name + " in the object", "find_program");
  return p;
}

// attachCgroup(id, progName, cgroupPath, linkPinPath): attaches with a BPF
// link and pins the link, so the attachment outlives this process and
// `kernel down` detaches by unlinking the pin.
Napi::Value AttachCgroup(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (!CheckArgs(info, "nsss")) return env.Undefined();
  bpf_object *obj = ObjectArg(info, 0);
  if (!obj) return env.Undefined();
  bpf_program *prog = ProgramArg(info, obj, 1);
  if (!prog) return env.Undefined();
  std::string cg = info[2].As<Napi::String>();
  std::string pin = info[3].As<Napi::String>();
  int cgfd = open(cg.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (cgfd < 0) return ThrowErrno(env, errno, "cannot open cgroup " + cg, "open");
  bpf_link *link = bpf_program__attach_cgroup(prog, cgfd);
  int err = link ? 0 : errno;
  close(cgfd);
  if (!link)
    return ThrowErrno(env, err, std::string("cannot attach ") + bpf_program__name(prog) + " to cgroup " + cg,
                      "bpf_link_create");
  err = bpf_link__pin(link, pin.c_str());
  if (err) {
    bpf_link__destroy(link);
    return ThrowErrno(env, err, "cannot pin link at " + pin, "bpf_obj_pin");
  }
  bpf_link__disconnect(link);
  bpf_link__destroy(link);
  return env.Undefined();
}

// attachToMap(id, progName, mapPinPath, attachType): sk_msg / sk_skb programs
// on a sockmap. libbpf 1.1 has no sockmap links, so this is bpf_prog_attach;
// the attachment lives as long as the (pinned) map.
Napi::Value AttachToMap(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (!CheckArgs(info, "nssn")) return env.Undefined();
  bpf_object *obj = ObjectArg(info, 0);
  if (!obj) return env.Undefined();
  bpf_program *prog = ProgramArg(info, obj, 1);
  if (!prog) return env.Undefined();
  std::string map_path = info[2].As<Napi::String>();
  int type = IntArg(info, 3);
  int mfd = bpf_obj_get(map_path.c_str());
  if (mfd < 0) return ThrowErrno(env, errno, "cannot open pinned map " + map_path, "bpf_obj_get");
  int err = bpf_prog_attach(bpf_program__fd(prog), mfd, (enum bpf_attach_type)type, 0);
  int saved = errno;
  close(mfd);
  if (err)
    return ThrowErrno(env, saved, std::string("cannot attach ") + bpf_program__name(prog) + " to map " + map_path,
                      "bpf_prog_attach");
  return env.Undefined();
}

// objGet(path) -> fd of a pinned map/link/program.
Napi::Value ObjGet(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (!CheckArgs(info, "s")) return env.Undefined();
  std::string path = info[0].As<Napi::String>();
  int fd = bpf_obj_get(path.c_str());
  if (fd < 0) return ThrowErrno(env, errno, "cannot open pinned BPF object " + path, "bpf_obj_get");
  return Napi::Number::New(env, fd);
}

Napi::Value CloseFd(const Napi::CallbackInfo &info) {
  if (!CheckArgs(info, "n")) return info.Env().Undefined();
  close(IntArg(info, 0));
  return info.Env().Undefined();
}

Napi::Value MapInfo(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (!CheckArgs(info, "n")) return env.Undefined();
  bpf_map_info mi = {};
  __u32 len = sizeof mi;
  if (bpf_obj_get_info_by_fd(IntArg(info, 0), &mi, &len))
    return ThrowErrno(env, errno, "cannot read map info", "bpf_obj_get_info_by_fd");
  Napi::Object out = Napi::Object::New(env);
  out.Set("id", mi.id);
  out.Set("name", mi.name);
  out.Set("type", mi.type);
  out.Set("keySize", mi.key_size);
  out.Set("valueSize", mi.value_size);
  out.Set("maxEntries", mi.max_entries);
  return out;
}

// mapLookup(fd, key, valueSize) -> Buffer | null
Napi::Value MapLookup(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (!CheckArgs(info, "nbn")) return env.Undefined();
  auto key = info[1].As<Napi::Buffer<uint8_t>>();
  auto value = Napi::Buffer<uint8_t>::New(env, info[2].As<Napi::Number>().Uint32Value());
  if (bpf_map_lookup_elem(IntArg(info, 0), key.Data(), value.Data())) {
    if (errno == ENOENT) return env.Null();
    return ThrowErrno(env, errno, "map lookup failed", "bpf_map_lookup_elem");
  }
  return value;
}

// mapUpdate(fd, key, value, flags)
Napi::Value MapUpdate(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (!CheckArgs(info, "nbbn")) return env.Undefined();
  auto key = info[1].As<Napi::Buffer<uint8_t>>();
  auto value = info[2].As<Napi::Buffer<uint8_t>>();
  if (bpf_map_update_elem(IntArg(info, 0), key.Data(), value.Data(), info[3].As<Napi::Number>().Int64Value()))
    return ThrowErrno(env, errno, "map update failed", "bpf_map_update_elem");
  return env.Undefined();
}

// mapDelete(fd, key) -> boolean (false when absent)
Napi::Value MapDelete(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (!CheckArgs(info, "nb")) return env.Undefined();
  auto key = info[1].As<Napi::Buffer<uint8_t>>();
  if (bpf_map_delete_elem(IntArg(info, 0), key.Data())) {
    if (errno == ENOENT) return Napi::Boolean::New(env, false);
    return ThrowErrno(env, errno, "map delete failed", "bpf_map_delete_elem");
  }
  return Napi::Boolean::New(env, true);
}

// mapKeys(fd, keySize, limit) -> Buffer[]
Napi::Value MapKeys(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (!CheckArgs(info, "nnn")) return env.Undefined();
  int fd = IntArg(info, 0);
  uint32_t size = info[1].As<Napi::Number>().Uint32Value();
  uint32_t limit = info[2].As<Napi::Number>().Uint32Value();
  std::vector<uint8_t> cur(size), next(size);
  Napi::Array out = Napi::Array::New(env);
  const void *prev = nullptr;
  uint32_t n = 0;
  while (n < limit) {
    if (bpf_map_get_next_key(fd, prev, next.data())) {
      if (errno == ENOENT) break;
      return ThrowErrno(env, errno, "map iteration failed", "bpf_map_get_next_key");
    }
    out.Set(n++, Napi::Buffer<uint8_t>::Copy(env, next.data(), size));
    cur.swap(next);
    prev = cur.data();
  }
  return out;
}

// mapUpdateSocket(fd, key, socketFd, flags): put a socket into a
// SOCKMAP/SOCKHASH (the kernel takes its own reference).
Napi::Value MapUpdateSocket(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (!CheckArgs(info, "nbnn")) return env.Undefined();
  auto key = info[1].As<Napi::Buffer<uint8_t>>();
  uint64_t sfd = (uint64_t)IntArg(info, 2);
  if (bpf_map_update_elem(IntArg(info, 0), key.Data(), &sfd, info[3].As<Napi::Number>().Int64Value()))
    return ThrowErrno(env, errno, "cannot insert socket into sockmap (only ESTABLISHED TCP sockets can be)",
                      "bpf_map_update_elem");
  return env.Undefined();
}

Napi::Value PossibleCpus(const Napi::CallbackInfo &info) {
  int n = libbpf_num_possible_cpus();
  if (n < 0) return ThrowErrno(info.Env(), n, "cannot count possible CPUs", "libbpf_num_possible_cpus");
  return Napi::Number::New(info.Env(), n);
}

// socketCookie(fd) -> bigint (SO_COOKIE)
Napi::Value SocketCookie(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (!CheckArgs(info, "n")) return env.Undefined();
  uint64_t cookie = 0;
  socklen_t len = sizeof cookie;
  if (getsockopt(IntArg(info, 0), SOL_SOCKET, SO_COOKIE, &cookie, &len))
    return ThrowErrno(env, errno, "cannot read SO_COOKIE", "getsockopt");
  return Napi::BigInt::New(env, cookie);
}

// linkInfo(pinPath) -> { id, progId, progName, attachType, cgroupId }
Napi::Value LinkInfo(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (!CheckArgs(info, "s")) return env.Undefined();
  std::string path = info[0].As<Napi::String>();
  int fd = bpf_obj_get(path.c_str());
  if (fd < 0) return ThrowErrno(env, errno, "cannot open pinned link " + path, "bpf_obj_get");
  bpf_link_info li = {};
  __u32 len = sizeof li;
  int err = bpf_obj_get_info_by_fd(fd, &li, &len) ? errno : 0;
  close(fd);
  if (err) return ThrowErrno(env, err, "cannot read link info of " + path, "bpf_obj_get_info_by_fd");
  Napi::Object out = Napi::Object::New(env);
  out.Set("id", li.id);
  out.Set("type", li.type);
  out.Set("progId", li.prog_id);
  if (li.type == BPF_LINK_TYPE_CGROUP) {
    out.Set("cgroupId", Napi::BigInt::New(env, (uint64_t)li.cgroup.cgroup_id));
    out.Set("attachType", li.cgroup.attach_type);
  }
  int pfd = bpf_prog_get_fd_by_id(li.prog_id);
  if (pfd >= 0) {
    bpf_prog_info pi = {};
    __u32 plen = sizeof pi;
    if (!bpf_obj_get_info_by_fd(pfd, &pi, &plen)) out.Set("progName", pi.name);
    close(pfd);
  }
  return out;
}

// probe() -> which program types this kernel loads.
Napi::Value Probe(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  out.Set("sockOps", libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_SOCK_OPS, nullptr) == 1);
  out.Set("skMsg", libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_SK_MSG, nullptr) == 1);
  out.Set("skSkb", libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_SK_SKB, nullptr) == 1);
  out.Set("cgroupSockAddr", libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_CGROUP_SOCK_ADDR, nullptr) == 1);
  TakeLibbpfLog();
  return out;
}

}  // namespace

void InitBpf(Napi::Env env, Napi::Object exports) {
  exports.Set("loadObject", Napi::Function::New(env, LoadObject));
  exports.Set("closeObject", Napi::Function::New(env, CloseObject));
  exports.Set("attachCgroup", Napi::Function::New(env, AttachCgroup));
  exports.Set("attachToMap", Napi::Function::New(env, AttachToMap));
  exports.Set("objGet", Napi::Function::New(env, ObjGet));
  exports.Set("closeFd", Napi::Function::New(env, CloseFd));
  exports.Set("mapInfo", Napi::Function::New(env, MapInfo));
  exports.Set("mapLookup", Napi::Function::New(env, MapLookup));
  exports.Set("mapUpdate", Napi::Function::New(env, MapUpdate));
  exports.Set("mapDelete", Napi::Function::New(env, MapDelete));
  exports.Set("mapKeys", Napi::Function::New(env, MapKeys));
  exports.Set("mapUpdateSocket", Napi::Function::New(env, MapUpdateSocket));
  exports.Set("possibleCpus", Napi::Function::New(env, PossibleCpus));
  exports.Set("socketCookie", Napi::Function::New(env, SocketCookie));
  exports.Set("linkInfo", Napi::Function::New(env, LinkInfo));
  exports.Set("probe", Napi::Function::New(env, Probe));
  Napi::Object attach = Napi::Object::New(env);
  attach.Set("skMsgVerdict", (int)BPF_SK_MSG_VERDICT);
  attach.Set("skSkbVerdict", (int)BPF_SK_SKB_VERDICT);
  attach.Set("skSkbStreamVerdict", (int)BPF_SK_SKB_STREAM_VERDICT);
  exports.Set("attachTypes", attach);
}

}  // namespace sluice
