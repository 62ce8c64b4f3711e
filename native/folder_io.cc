// File-system work of the data layer that JavaScript would do one file at a time: list a folder
// tree with every file's size and mtime, read the first bytes of many files, map a cache file
// into memory, and checksum bytes with CRC-32C. The listing and the reads run on libuv's worker
// threads (a large folder's stats on helper threads as well); the map and the checksum are quick
// enough to run on the caller's.
//
// As in image_decode.cc, this layer checks only what keeps memory safe; the data layer
// (src/data/walk.ts, src/data/cache.ts, src/data/folder.ts) validates and decides.

#include "folder_io.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <climits>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#if defined(__x86_64__)
#include <nmmintrin.h>
#elif defined(__aarch64__) && defined(__ARM_FEATURE_CRC32)
#include <arm_acle.h>
#endif

namespace infogan {
namespace {

std::string ErrnoText(int code) { return std::strerror(code); }

void JoinBlockJob();  // below, with the checksums

// ---------------------------------------------------------------------------------------------
// Listing: every regular file under a folder, as walk.ts documents.

struct ListedFile {
  std::string relative;
  double size = 0;
  double mtime_ms = 0;
  double ctime_ms = 0;
};

// A time in milliseconds, computed as Node's fs.Stats.mtimeMs is, so both agree exactly.
double Milliseconds(const struct timespec& time) {
  return double(time.tv_sec) * 1e3 + double(time.tv_nsec) / 1e6;
}

// The modification time, and the inode's change time (ctime), which no tool sets back: a file
// rewritten and given its old mtime again (touch -r) still shows the change there.
#if defined(__APPLE__)
double MtimeMs(const struct stat& info) { return Milliseconds(info.st_mtimespec); }
double CtimeMs(const struct stat& info) { return Milliseconds(info.st_ctimespec); }
#else
double MtimeMs(const struct stat& info) { return Milliseconds(info.st_mtim); }
double CtimeMs(const struct stat& info) { return Milliseconds(info.st_ctim); }
#endif

// Whether `text` is well-formed UTF-8 (no overlong forms, surrogates or values past U+10FFFF):
// a name that is not cannot be named from JavaScript, whose strings hold the decoded text.
bool ValidUtf8(const char* text) {
  const auto* at = reinterpret_cast<const unsigned char*>(text);
  while (*at != 0) {
    if (*at < 0x80) {
      at++;
      continue;
    }
    int more;
    uint32_t value;
    if ((*at & 0xE0) == 0xC0) {
      more = 1, value = *at & 0x1F;
    } else if ((*at & 0xF0) == 0xE0) {
      more = 2, value = *at & 0x0F;
    } else if ((*at & 0xF8) == 0xF0) {
      more = 3, value = *at & 0x07;
    } else {
      return false;
    }
    for (int i = 1; i <= more; i++) {
      if ((at[i] & 0xC0) != 0x80) return false;
      value = (value << 6) | (at[i] & 0x3F);
    }
    static const uint32_t kSmallest[] = {0, 0x80, 0x800, 0x10000};
    if (value < kSmallest[more] || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF))
      return false;
    at += more + 1;
  }
  return true;
}

// Where a UTF-8 byte sorts in UTF-16 code-unit order (JavaScript's string order): characters
// above U+FFFF (lead bytes F0-F4) are surrogate pairs there, which sort before U+E000-U+FFFF
// (lead bytes EE, EF). Every other byte keeps its place.
int Utf16Rank(uint8_t byte) {
  if (byte >= 0xF0) return 0xEE + (byte - 0xF0);
  if (byte >= 0xEE) return 0xF5 + (byte - 0xEE);
  return byte;
}

// Equal prefixes leave both strings at the same place in a character, so the first differing
// bytes are both lead bytes or both continuation bytes, and ranking them decides. The common
// prefix is skipped eight bytes at a time: sorting a large folder's paths, which share long
// prefixes, is most of the work.
bool Utf16Less(const std::string& a, const std::string& b) {
  const size_t common = std::min(a.size(), b.size());
  const char* x = a.data();
  const char* y = b.data();
  size_t i = 0;
  for (; i + 8 <= common; i += 8) {
    uint64_t u, v;
    std::memcpy(&u, x + i, 8);
    std::memcpy(&v, y + i, 8);
    if (u != v) {
#if defined(__GNUC__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
      i += size_t(__builtin_ctzll(u ^ v)) / 8;  // the first differing byte, found at once
#endif
      break;
    }
  }
  for (; i < common; i++) {
    if (x[i] != y[i]) return Utf16Rank(uint8_t(x[i])) < Utf16Rank(uint8_t(y[i]));
  }
  return a.size() < b.size();
}

// The first eight bytes of `name` ranked by Utf16Rank, as one big-endian number: two names
// whose numbers differ sort as the numbers do (a shorter name is padded with zeros, a byte no
// name holds). Sorting a folder's names compares these first and rarely the names themselves.
uint64_t SortPrefix(const std::string& name) {
  uint64_t prefix = 0;
  for (size_t i = 0; i < 8; i++)
    prefix = (prefix << 8) | (i < name.size() ? uint64_t(Utf16Rank(uint8_t(name[i]))) : 0);
  return prefix;
}

// The indices of `keys`, ordered as JavaScript orders the strings.
std::vector<size_t> SortedOrder(const std::vector<std::string>& keys) {
  std::vector<std::pair<uint64_t, size_t>> ranked(keys.size());
  for (size_t i = 0; i < keys.size(); i++) ranked[i] = {SortPrefix(keys[i]), i};
  std::sort(ranked.begin(), ranked.end(), [&keys](const auto& a, const auto& b) {
    return a.first != b.first ? a.first < b.first : Utf16Less(keys[a.second], keys[b.second]);
  });
  std::vector<size_t> order(keys.size());
  for (size_t i = 0; i < keys.size(); i++) order[i] = ranked[i].second;
  return order;
}

// Files a folder must hold before their stats are shared among threads: below it, starting the
// threads costs more than they save.
constexpr size_t kParallelStatFiles = 512;

class FolderWalk {
 public:
  FolderWalk(std::string root, std::vector<std::string> excluded, int threads)
      : root_(std::move(root)), excluded_(excluded.begin(), excluded.end()), threads_(threads) {
    for (const std::string& path : excluded_) {
      const size_t slash = path.rfind('/');
      if (slash != std::string::npos)
        excluded_parents_.insert(slash == 0 ? "/" : path.substr(0, slash));
    }
    // The folders above the root: a link to one would list their whole tree (a link to `/`).
    for (std::string folder = root_; folder != "/" && !folder.empty();) {
      const size_t slash = folder.rfind('/');
      folder = slash == 0 ? "/" : folder.substr(0, slash);
      struct stat info;
      if (stat(folder.c_str(), &info) == 0) ancestors_.insert({info.st_dev, info.st_ino});
    }
  }

  // Fills files(), sorted, and left_out(); false with error() set when the root cannot be read.
  bool Run() {
    if (!Visit(root_, "")) return false;
    // Links to folders last, so a folder reached both ways is listed under its real path.
    for (size_t i = 0; i < linked_.size(); i++) {
      const std::pair<std::string, std::string> link = linked_[i];  // Visit may add more
      if (!Visit(link.first, link.second)) return false;
    }
    // Each folder lists its entries in order (see Visit); only files reached through links to
    // folders can be out of place.
    const auto less = [](const ListedFile& a, const ListedFile& b) {
      return Utf16Less(a.relative, b.relative);
    };
    if (!std::is_sorted(files_.begin(), files_.end(), less))
      std::sort(files_.begin(), files_.end(), less);
    return true;
  }

  std::vector<ListedFile>& files() { return files_; }
  // What was left out, and why: a file or folder (with a trailing '/') that could not be read,
  // or a link to a folder above the root.
  const std::vector<std::pair<std::string, std::string>>& left_out() const { return left_out_; }
  const std::string& error() const { return error_; }

 private:
  static std::string Join(const std::string& folder, const char* name) {
    return folder == "/" ? folder + name : folder + "/" + name;
  }

  // Lists `folder` (shown to the user as `prefix`): its files and real sub-folders, in the order
  // of their relative paths. A sub-folder's key is its name and '/', which sorts against its
  // siblings as every path under it does, so visiting the keys in order lists the tree in order.
  bool Visit(const std::string& folder, const std::string& prefix) {
    const int descriptor = open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (descriptor < 0) return Unreadable(folder, prefix, errno);
    struct stat self;
    if (fstat(descriptor, &self) != 0) {
      const int code = errno;
      close(descriptor);
      return Unreadable(folder, prefix, code);
    }
    // Each real folder once, however many links lead to it.
    if (!visited_.insert({self.st_dev, self.st_ino}).second) {
      close(descriptor);
      return true;
    }
    DIR* listing = fdopendir(descriptor);
    if (!listing) {
      const int code = errno;
      close(descriptor);
      return Unreadable(folder, prefix, code);
    }
    std::vector<std::string> keys;
    holds_excluded_ = excluded_parents_.count(folder) > 0;
    errno = 0;
    while (const dirent* entry = readdir(listing)) {
      Add(descriptor, folder, prefix, entry->d_name, entry->d_type, keys);
      errno = 0;
    }
    if (errno != 0) {
      const int code = errno;
      closedir(listing);
      return Unreadable(folder, prefix, code);
    }
    if (!prefix.empty() && IsRunFolder(keys)) {
      closedir(listing);
      left_out_.emplace_back(prefix, "an infogan run folder");  // RUN_FOLDER in walk.ts
      return true;
    }
    std::vector<struct stat> infos;
    std::vector<int> codes;
    StatFiles(descriptor, keys, infos, codes);
    closedir(listing);
    files_.reserve(files_.size() + keys.size());
    for (size_t i : SortedOrder(keys)) {
      const std::string& key = keys[i];
      if (key.back() == '/') {
        if (!Visit(Join(folder, key.substr(0, key.size() - 1).c_str()), prefix + key))
          return false;
      } else if (codes[i] == 0) {
        files_.push_back(
            {prefix + key, double(infos[i].st_size), MtimeMs(infos[i]), CtimeMs(infos[i])});
      } else if (codes[i] != ENOENT) {  // ENOENT: removed since it was listed
        left_out_.emplace_back(prefix + key, ErrnoText(codes[i]));
      }
    }
    return true;
  }

  // Whether a folder holding `keys` is one that infogan train wrote (images of its grids would
  // otherwise join the data when runs are written inside the data set's folder).
  static bool IsRunFolder(const std::vector<std::string>& keys) {
    const auto has = [&keys](const char* key) {
      return std::find(keys.begin(), keys.end(), key) != keys.end();
    };
    return has("config.json") && has("model.json") && has("checkpoints/");
  }

  // The system folder (/proc, /sys, /dev) that `link` leads into, or "": their files are the
  // kernel's and devices, never data, and /proc alone holds links to every process's folders.
  static std::string SystemFolder(const std::string& link) {
    char real[PATH_MAX];
    if (realpath(link.c_str(), real) == nullptr) return "";
    for (const char* system : {"/proc", "/sys", "/dev"}) {
      const size_t length = std::strlen(system);
      if (std::strncmp(real, system, length) == 0 && (real[length] == '\0' || real[length] == '/'))
        return system;
    }
    return "";
  }

  // A folder that cannot be read: the root fails the walk, any other is left out.
  bool Unreadable(const std::string& folder, const std::string& prefix, int code) {
    if (prefix.empty()) return Fail(folder, code);
    left_out_.emplace_back(prefix, ErrnoText(code));
    return true;
  }

  // Adds one directory entry to `keys` (a sub-folder as its name and '/', a regular file as its
  // name) or leaves it out; a link is followed (and a dangling one left out) here.
  void Add(int directory, const std::string& folder, const std::string& prefix, const char* name,
           unsigned char type, std::vector<std::string>& keys) {
    if (std::strcmp(name, ".") == 0 || std::strcmp(name, "..") == 0) return;
    if (holds_excluded_ && excluded_.count(Join(folder, name))) return;
    struct stat info;
    if (type == DT_UNKNOWN) {  // file systems that leave the type out: ask, as Node does
      if (fstatat(directory, name, &info, AT_SYMLINK_NOFOLLOW) != 0) return;
      type = S_ISLNK(info.st_mode) ? DT_LNK : S_ISDIR(info.st_mode) ? DT_DIR
             : S_ISREG(info.st_mode) ? DT_REG : DT_FIFO;  // DT_FIFO: any other kind
    }
    if (type == DT_DIR && name[0] == '.') return;  // .git, .cache
    if (!ValidUtf8(name)) {
      left_out_.emplace_back(prefix + name + (type == DT_DIR ? "/" : ""),
                             "a name that is not UTF-8");
      return;
    }
    if (type == DT_LNK) {
      if (fstatat(directory, name, &info, 0) != 0) {
        const int code = errno;
        left_out_.emplace_back(prefix + name,
                               code == ENOENT ? "a link to nothing" : ErrnoText(code));
        return;
      }
      const bool is_folder = S_ISDIR(info.st_mode);
      if (is_folder && name[0] == '.') return;
      // Into /proc, /sys or /dev, a folder or a file: never data, and /proc's files change
      // their times at every look, which would make every cache stale.
      const std::string system = SystemFolder(Join(folder, name));
      if (!system.empty()) {
        left_out_.emplace_back(prefix + name + (is_folder ? "/" : ""), "a link into " + system);
        return;
      }
      if (is_folder) {
        if (ancestors_.count({info.st_dev, info.st_ino}))
          left_out_.emplace_back(prefix + name + "/", "a link to a folder above the data set");
        else
          linked_.emplace_back(Join(folder, name), prefix + name + "/");
        return;
      }
      type = S_ISREG(info.st_mode) ? DT_REG : DT_FIFO;  // stat-ed again with the others
    }
    if (type == DT_DIR) {
      keys.push_back(std::string(name) + '/');
    } else if (type == DT_REG) {
      keys.emplace_back(name);
    } else {  // a pipe, socket or device: reading it could block, or never end
      left_out_.emplace_back(prefix + name, "not a regular file");
    }
  }

  // Stats the files among `keys` (those not ending in '/'), following links, on several threads
  // when there are many: infos[i] for keys[i], or codes[i] the errno of its failed stat.
  void StatFiles(int directory, const std::vector<std::string>& keys,
                 std::vector<struct stat>& infos, std::vector<int>& codes) {
    infos.resize(keys.size());
    codes.assign(keys.size(), 0);
    std::atomic<size_t> next{0};
    auto work = [&] {
      for (size_t i = next++; i < keys.size(); i = next++) {
        if (keys[i].back() != '/' && fstatat(directory, keys[i].c_str(), &infos[i], 0) != 0)
          codes[i] = errno;
      }
    };
    const size_t helpers = keys.size() < kParallelStatFiles ? 0 : size_t(threads_ - 1);
    std::vector<std::thread> threads;
    for (size_t t = 0; t < helpers; t++) {
      try {
        threads.emplace_back(work);
      } catch (const std::system_error&) {  // no more threads to be had: fewer helpers
        break;
      }
    }
    work();
    for (std::thread& thread : threads) thread.join();
  }

  bool Fail(const std::string& path, int code) {
    error_ = "cannot list " + path + ": " + ErrnoText(code);
    return false;
  }

  std::string root_;
  std::set<std::string> excluded_;
  // The folders the excluded paths are in: only their entries are looked up in excluded_.
  std::set<std::string> excluded_parents_;
  bool holds_excluded_ = false;  // whether the folder being read is one of them
  int threads_;
  std::set<std::pair<dev_t, ino_t>> visited_;
  std::set<std::pair<dev_t, ino_t>> ancestors_;  // the folders above the root
  std::vector<std::pair<std::string, std::string>> left_out_;
  // Links to folders found so far (path, prefix), visited after every real folder.
  std::vector<std::pair<std::string, std::string>> linked_;
  std::vector<ListedFile> files_;
  std::string error_;
};

// Work that does nothing, queued before the first listing. libuv makes its worker threads when
// the first work is queued, and that call returns only once every one of them has started. With
// the listing queued first, the first thread made starts listing at once and the others (and the
// caller) wait for a core: up to 4 ms on two cores, against 0.3 ms with nothing running yet.
class StartWorkers : public Napi::AsyncWorker {
 public:
  explicit StartWorkers(Napi::Env env) : Napi::AsyncWorker(env, "infogan:startWorkers") {}
  void Execute() override {}
};

class ListWorker : public Napi::AsyncWorker {
 public:
  ListWorker(Napi::Env env, std::string root, std::vector<std::string> excluded, int threads)
      : Napi::AsyncWorker(env, "infogan:listFolder"),
        walk_(std::move(root), std::move(excluded), threads),
        deferred_(Napi::Promise::Deferred::New(env)) {}

  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    if (!walk_.Run()) SetError(walk_.error());
    JoinBlockJob();  // the cache's checksum, if it is still being computed
  }

  // { names: relative paths joined by '\0', sizes, mtimes, ctimes: Float64Array,
  //   leftOut: [relative path, why][] }
  void OnOK() override {
    Napi::Env env = Env();
    const std::vector<ListedFile>& files = walk_.files();
    std::string names;
    for (size_t i = 0; i < files.size(); i++) {
      if (i > 0) names += '\0';
      names += files[i].relative;
    }
    auto sizes = Napi::Float64Array::New(env, files.size());
    auto mtimes = Napi::Float64Array::New(env, files.size());
    auto ctimes = Napi::Float64Array::New(env, files.size());
    for (size_t i = 0; i < files.size(); i++) {
      sizes[i] = files[i].size;
      mtimes[i] = files[i].mtime_ms;
      ctimes[i] = files[i].ctime_ms;
    }
    auto result = Napi::Object::New(env);
    result.Set("names", Napi::String::New(env, names));
    result.Set("sizes", sizes);
    result.Set("mtimes", mtimes);
    result.Set("ctimes", ctimes);
    const auto& left_out = walk_.left_out();
    auto left = Napi::Array::New(env, left_out.size());
    for (size_t i = 0; i < left_out.size(); i++) {
      auto entry = Napi::Array::New(env, 2);
      entry.Set(uint32_t(0), Napi::String::New(env, left_out[i].first));
      entry.Set(uint32_t(1), Napi::String::New(env, left_out[i].second));
      left.Set(uint32_t(i), entry);
    }
    result.Set("leftOut", left);
    deferred_.Resolve(result);
  }

  void OnError(const Napi::Error& error) override { deferred_.Reject(error.Value()); }

 private:
  FolderWalk walk_;
  Napi::Promise::Deferred deferred_;
};

// listFolder(root, excluded, threads) -> Promise<{ names, sizes, mtimes }>
Napi::Value ListFolder(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsString() || !info[1].IsArray() || !info[2].IsNumber())
    throw Napi::TypeError::New(env, "expected (root: string, excluded: string[], threads)");
  auto array = info[1].As<Napi::Array>();
  std::vector<std::string> excluded(array.Length());
  for (uint32_t i = 0; i < array.Length(); i++)
    excluded[i] = array.Get(i).ToString().Utf8Value();
  const int threads = std::clamp(info[2].As<Napi::Number>().Int32Value(), 1, 256);
  auto* worker =
      new ListWorker(env, info[0].As<Napi::String>().Utf8Value(), std::move(excluded), threads);
  Napi::Promise promise = worker->Promise();
  static std::atomic<bool> workers_started{false};  // libuv's pool serves the whole process
  if (!workers_started.exchange(true)) (new StartWorkers(env))->Queue();
  worker->Queue();
  return promise;
}

// ---------------------------------------------------------------------------------------------
// Heads: the first bytes of many files, read by several workers sharing one queue of indices.

struct HeadBatch {
  std::vector<std::string> paths;
  size_t bytes = 0;
  std::vector<uint8_t> heads;     // [paths, bytes]
  std::vector<int32_t> lengths;   // bytes read, or minus the errno of a file that cannot be read
  std::atomic<size_t> next{0};
  int workers_left = 0;  // touched on the main thread only
  Napi::Promise::Deferred deferred;

  explicit HeadBatch(Napi::Env env) : deferred(Napi::Promise::Deferred::New(env)) {}
};

// The bytes read into `head`, or minus the errno when the file cannot be opened or read.
int32_t ReadHead(const std::string& path, uint8_t* head, size_t bytes) {
  const int descriptor = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (descriptor < 0) return -errno;
  size_t done = 0;
  while (done < bytes) {
    const ssize_t got = pread(descriptor, head + done, bytes - done, off_t(done));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      const int code = errno;
      close(descriptor);
      return -code;
    }
    if (got == 0) break;
    done += size_t(got);
  }
  close(descriptor);
  return int32_t(done);
}

// { heads: Uint8Array [paths, bytes], lengths: Int32Array }
Napi::Value HeadsToJs(Napi::Env env, const HeadBatch& batch) {
  auto heads = Napi::Uint8Array::New(env, batch.heads.size());
  std::copy(batch.heads.begin(), batch.heads.end(), heads.Data());
  auto lengths = Napi::Int32Array::New(env, batch.lengths.size());
  std::copy(batch.lengths.begin(), batch.lengths.end(), lengths.Data());
  auto result = Napi::Object::New(env);
  result.Set("heads", heads);
  result.Set("lengths", lengths);
  return result;
}

class HeadWorker : public Napi::AsyncWorker {
 public:
  HeadWorker(Napi::Env env, std::shared_ptr<HeadBatch> batch)
      : Napi::AsyncWorker(env, "infogan:readHeads"), batch_(std::move(batch)) {}

  void Execute() override {
    HeadBatch& batch = *batch_;
    for (size_t i = batch.next++; i < batch.paths.size(); i = batch.next++)
      batch.lengths[i] = ReadHead(batch.paths[i], &batch.heads[i * batch.bytes], batch.bytes);
  }

  void OnOK() override {
    if (--batch_->workers_left == 0) batch_->deferred.Resolve(HeadsToJs(Env(), *batch_));
  }

 private:
  std::shared_ptr<HeadBatch> batch_;
};

// readHeads(paths, bytes, threads) -> Promise<{ heads, lengths }>
Napi::Value ReadHeads(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsArray() || !info[1].IsNumber() || !info[2].IsNumber())
    throw Napi::TypeError::New(env, "expected (paths: string[], bytes, threads)");
  const int64_t bytes = info[1].As<Napi::Number>().Int64Value();
  if (bytes < 1 || bytes > 4096) throw Napi::RangeError::New(env, "bytes must be 1 to 4096");
  auto batch = std::make_shared<HeadBatch>(env);
  auto array = info[0].As<Napi::Array>();
  batch->paths.resize(array.Length());
  for (uint32_t i = 0; i < array.Length(); i++)
    batch->paths[i] = array.Get(i).ToString().Utf8Value();
  batch->bytes = size_t(bytes);
  batch->heads.assign(batch->paths.size() * batch->bytes, 0);
  batch->lengths.assign(batch->paths.size(), -1);
  Napi::Promise promise = batch->deferred.Promise();
  const int threads = std::clamp(info[2].As<Napi::Number>().Int32Value(), 1, 256);
  const int workers = std::min<int>(threads, int(batch->paths.size()));
  if (workers == 0) {
    batch->deferred.Resolve(HeadsToJs(env, *batch));
    return promise;
  }
  batch->workers_left = workers;
  for (int w = 0; w < workers; w++) (new HeadWorker(env, batch))->Queue();
  return promise;
}

// ---------------------------------------------------------------------------------------------
// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) of each block of a buffer. The SSE 4.2
// and ARMv8 instructions take 8 bytes a cycle when three blocks are summed side by side (one
// alone waits on the instruction's latency); other CPUs use a table, a byte at a time.

constexpr uint32_t kCastagnoli = 0x82F63B78u;

std::array<uint32_t, 256> MakeCrcTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t byte = 0; byte < 256; byte++) {
    uint32_t crc = byte;
    for (int bit = 0; bit < 8; bit++) crc = (crc >> 1) ^ (crc & 1 ? kCastagnoli : 0);
    table[byte] = crc;
  }
  return table;
}

uint32_t SoftwareCrc(const uint8_t* data, size_t length) {
  static const std::array<uint32_t, 256> table = MakeCrcTable();
  uint32_t crc = ~0u;
  for (size_t i = 0; i < length; i++) crc = table[(crc ^ data[i]) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

void SoftwareBlockCrcs(const uint8_t* data, size_t length, size_t block, uint32_t* out) {
  for (size_t start = 0, i = 0; start < length; start += block, i++)
    out[i] = SoftwareCrc(data + start, std::min(block, length - start));
}

inline uint64_t Load64(const uint8_t* at) {
  uint64_t value;
  std::memcpy(&value, at, sizeof value);
  return value;
}

#if defined(__x86_64__)
#define INFOGAN_CRC_TARGET __attribute__((target("sse4.2")))
INFOGAN_CRC_TARGET inline uint32_t Step64(uint32_t crc, uint64_t value) {
  return uint32_t(_mm_crc32_u64(crc, value));
}
INFOGAN_CRC_TARGET inline uint32_t Step8(uint32_t crc, uint8_t value) {
  return _mm_crc32_u8(crc, value);
}
bool HasCrcInstructions() { return __builtin_cpu_supports("sse4.2"); }
#elif defined(__aarch64__) && defined(__ARM_FEATURE_CRC32)
#define INFOGAN_CRC_TARGET
inline uint32_t Step64(uint32_t crc, uint64_t value) { return __crc32cd(crc, value); }
inline uint32_t Step8(uint32_t crc, uint8_t value) { return __crc32cb(crc, value); }
bool HasCrcInstructions() { return true; }
#else
#define INFOGAN_NO_CRC_INSTRUCTIONS
bool HasCrcInstructions() { return false; }
void HardwareBlockCrcs(const uint8_t*, size_t, size_t, uint32_t*) {}
#endif

#if !defined(INFOGAN_NO_CRC_INSTRUCTIONS)
INFOGAN_CRC_TARGET uint32_t HardwareCrc(const uint8_t* data, size_t length) {
  uint32_t crc = ~0u;
  size_t i = 0;
  for (; i + 8 <= length; i += 8) crc = Step64(crc, Load64(data + i));
  for (; i < length; i++) crc = Step8(crc, data[i]);
  return ~crc;
}

// Asks for the cache line at `at` ahead of its use. The three blocks are read side by side, each
// a stream the CPU's own prefetcher follows only within a 4 KiB page: asking a few pages ahead
// keeps the memory busy across page boundaries (12 ms down to 9 for a 123 MB cache just mapped,
// read from the page cache). A prefetch of an address past the end does nothing.
constexpr size_t kPrefetchAhead = 4096;
inline void Prefetch(const uint8_t* at) { __builtin_prefetch(at, 0, 3); }

// `block` is a multiple of 8, so three whole blocks need no byte-wise tail.
INFOGAN_CRC_TARGET void HardwareBlockCrcs(const uint8_t* data, size_t length, size_t block,
                                          uint32_t* out) {
  size_t i = 0;
  for (; (i + 3) * block <= length; i += 3) {
    const uint8_t* a = data + i * block;
    const uint8_t* b = a + block;
    const uint8_t* c = b + block;
    uint32_t x = ~0u, y = ~0u, z = ~0u;
    size_t k = 0;
    for (; k + 64 <= block; k += 64) {
      Prefetch(a + k + kPrefetchAhead);
      Prefetch(b + k + kPrefetchAhead);
      Prefetch(c + k + kPrefetchAhead);
      for (size_t j = k; j < k + 64; j += 8) {
        x = Step64(x, Load64(a + j));
        y = Step64(y, Load64(b + j));
        z = Step64(z, Load64(c + j));
      }
    }
    for (; k < block; k += 8) {
      x = Step64(x, Load64(a + k));
      y = Step64(y, Load64(b + k));
      z = Step64(z, Load64(c + k));
    }
    out[i] = ~x;
    out[i + 1] = ~y;
    out[i + 2] = ~z;
  }
  for (size_t start = i * block; start < length; start += block, i++)
    out[i] = HardwareCrc(data + start, std::min(block, length - start));
}
#endif

// A checksum of many blocks, handed out a few blocks at a time to whichever threads take part.
struct BlockJob {
  const uint8_t* data;
  size_t length;
  size_t block;
  uint32_t* out;
  void (*run)(const uint8_t*, size_t, size_t, uint32_t*);
  size_t pieces;                  // runs of kBlocksPerPiece blocks, the last one shorter
  std::atomic<size_t> next{0};    // the next piece to take
};

// Blocks a thread takes at a time: a multiple of the three summed side by side, and few enough
// (1.5 MB of 256 KiB blocks) that threads joining late still find pieces left.
constexpr size_t kBlocksPerPiece = 6;

void RunPieces(BlockJob& job) {
  for (size_t piece = job.next++; piece < job.pieces; piece = job.next++) {
    const size_t first = piece * kBlocksPerPiece;
    const size_t start = first * job.block;
    const size_t bytes = std::min(kBlocksPerPiece * job.block, job.length - start);
    job.run(job.data + start, bytes, job.block, job.out + first);
  }
}

// The checksum under way on the main thread, if any. A thread of this binding that has finished
// its own work (the folder listing, which a cache hit runs beside the checksum) joins it through
// JoinBlockJob rather than sitting idle while the load waits on the checksum.
std::mutex open_job_mutex;
std::condition_variable open_job_left;  // signalled when the last joined thread leaves
BlockJob* open_job = nullptr;
int open_job_threads = 0;  // threads inside open_job through JoinBlockJob

void JoinBlockJob() {
  std::unique_lock<std::mutex> lock(open_job_mutex);
  BlockJob* job = open_job;
  if (job == nullptr || job->next.load() >= job->pieces) return;
  open_job_threads++;
  lock.unlock();
  RunPieces(*job);
  lock.lock();
  if (--open_job_threads == 0) open_job_left.notify_all();
}

// Checksums the blocks on this thread, `threads - 1` helpers, and any thread that joins while
// it runs.
void ParallelBlockCrcs(const uint8_t* data, size_t length, size_t block, uint32_t* out,
                       size_t threads, void (*run)(const uint8_t*, size_t, size_t, uint32_t*)) {
  const size_t count = (length + block - 1) / block;
  BlockJob job{data, length, block, out, run, (count + kBlocksPerPiece - 1) / kBlocksPerPiece};
  threads = std::max<size_t>(1, std::min(threads, job.pieces));
  bool open = false;
  {
    std::lock_guard<std::mutex> lock(open_job_mutex);
    if (open_job == nullptr) open_job = &job, open = true;  // else another isolate's is open
  }
  std::vector<std::thread> helpers;
  for (size_t t = 1; t < threads; t++) {
    try {
      helpers.emplace_back(RunPieces, std::ref(job));
    } catch (const std::system_error&) {  // no more threads to be had: fewer helpers
      break;
    }
  }
  RunPieces(job);
  if (open) {
    // Every piece is taken; wait for the joined threads to finish theirs.
    std::unique_lock<std::mutex> lock(open_job_mutex);
    open_job = nullptr;
    open_job_left.wait(lock, [] { return open_job_threads == 0; });
  }
  for (auto& helper : helpers) helper.join();
}

// The block-checksum routine this CPU runs fastest.
void (*BlockCrcRoutine())(const uint8_t*, size_t, size_t, uint32_t*) {
  static const bool hardware = HasCrcInstructions();
  return hardware ? HardwareBlockCrcs : SoftwareBlockCrcs;
}

size_t BlockArgument(Napi::Env env, const Napi::Value& value) {
  const int64_t block = value.IsNumber() ? value.As<Napi::Number>().Int64Value() : 0;
  if (block < 8 || block % 8 != 0)
    throw Napi::RangeError::New(env, "block must be a positive multiple of 8");
  return size_t(block);
}

// A thread count argument; absent means 1.
size_t ThreadsArgument(Napi::Env env, const Napi::Value& value) {
  const int64_t threads = value.IsNumber() ? value.As<Napi::Number>().Int64Value() : 1;
  if (threads < 1 || threads > 256)
    throw Napi::RangeError::New(env, "threads must be between 1 and 256");
  return size_t(threads);
}

// crc32cBlocks(bytes: Uint8Array, block, threads = 1) -> Uint32Array: the CRC-32C of each `block`
// bytes (the last block may be shorter), the blocks shared out over `threads` threads.
Napi::Value Crc32cBlocks(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsTypedArray() ||
      info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    throw Napi::TypeError::New(env, "expected (bytes: Uint8Array, block: number)");
  const size_t block = BlockArgument(env, info[1]);
  const size_t threads = ThreadsArgument(env, info[2]);
  auto bytes = info[0].As<Napi::Uint8Array>();
  const size_t length = bytes.ByteLength();
  auto crcs = Napi::Uint32Array::New(env, (length + block - 1) / block);
  ParallelBlockCrcs(bytes.Data(), length, block, crcs.Data(), threads, BlockCrcRoutine());
  return crcs;
}

// ---------------------------------------------------------------------------------------------
// A mapped file cut short under its reader. Reading a page past the new end of a mapped file
// raises SIGBUS, which would kill the process without a word; another program truncating or
// rewriting a cache file in place while a run uses it does that. The mappings are registered
// here, and a SIGBUS inside one prints one line naming the file and exits 1. Checkpoints are
// written atomically, so the run resumes from its last one.

struct GuardedMapping {
  std::atomic<uintptr_t> start{0};  // 0: a free slot
  std::atomic<size_t> length{0};
  char message[768];
};

GuardedMapping guarded_mappings[32];
struct sigaction displaced_bus;
bool bus_handler_installed = false;

void OnBusError(int signal, siginfo_t* details, void* context) {
  const uintptr_t at = reinterpret_cast<uintptr_t>(details->si_addr);
  for (GuardedMapping& slot : guarded_mappings) {
    const uintptr_t start = slot.start.load();
    if (start != 0 && at >= start && at - start < slot.length.load()) {
      ssize_t ignored = write(STDERR_FILENO, slot.message, std::strlen(slot.message));
      (void)ignored;
      _exit(1);
    }
  }
  // Not a mapping of ours: hand the fault back, to fault again under the displaced handler.
  sigaction(SIGBUS, &displaced_bus, nullptr);
  (void)signal;
  (void)context;
}

// Registers [address, address + length) of `path`; false when every slot is taken.
bool GuardMapping(const uint8_t* address, size_t length, const std::string& path) {
  if (!bus_handler_installed) {
    struct sigaction handler {};
    handler.sa_sigaction = OnBusError;
    handler.sa_flags = SA_SIGINFO;
    sigemptyset(&handler.sa_mask);
    if (sigaction(SIGBUS, &handler, &displaced_bus) != 0) return false;
    bus_handler_installed = true;
  }
  for (GuardedMapping& slot : guarded_mappings) {
    if (slot.start.load() != 0) continue;
    const std::string message = "infogan: the data cache " + path +
        " was changed while in use (cut short by another program); run again to rebuild it\n";
    std::snprintf(slot.message, sizeof slot.message, "%s", message.c_str());
    slot.length.store(length);
    slot.start.store(reinterpret_cast<uintptr_t>(address));
    return true;
  }
  return false;
}

void UnguardMapping(const uint8_t* address) {
  for (GuardedMapping& slot : guarded_mappings) {
    if (slot.start.load() == reinterpret_cast<uintptr_t>(address)) slot.start.store(0);
  }
}

// ---------------------------------------------------------------------------------------------
// A mapped file: a whole file in memory without reading it into fresh memory, private to this
// process (writes are copied on write and never reach the file).
//
// JavaScript reads pieces of it (a header, checksums of a range) and takes the whole as an
// ArrayBuffer only once it has decided to keep it. V8 counts an ArrayBuffer's bytes as memory
// of its own from the moment it exists, and a buffer of a few hundred megabytes makes it collect
// garbage at every allocation that follows until it is promoted; taken last, it costs one
// collection at most, and a cache found stale or damaged costs none.
class MappedFile : public Napi::ObjectWrap<MappedFile> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "MappedFile",
                       {InstanceAccessor<&MappedFile::ByteLength>("byteLength"),
                        InstanceMethod<&MappedFile::Read>("read"),
                        InstanceMethod<&MappedFile::Crc32cBlocks>("crc32cBlocks"),
                        InstanceMethod<&MappedFile::Take>("take"),
                        InstanceMethod<&MappedFile::Close>("close")});
  }

  // new MappedFile(path): the pages are the page cache's own, faulted in by whichever thread
  // first reads them (the checksum's, several at once), and writable, which copies a page only
  // when it is written.
  explicit MappedFile(const Napi::CallbackInfo& info) : Napi::ObjectWrap<MappedFile>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsString())
      throw Napi::TypeError::New(env, "expected (path: string)");
    const std::string path = info[0].As<Napi::String>().Utf8Value();
    const int descriptor = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (descriptor < 0)
      throw Napi::Error::New(env, "cannot open " + path + ": " + ErrnoText(errno));
    struct stat file;
    if (fstat(descriptor, &file) != 0) {
      const int code = errno;
      close(descriptor);
      throw Napi::Error::New(env, "cannot read " + path + ": " + ErrnoText(code));
    }
    length_ = size_t(file.st_size);
    if (length_ == 0) {
      close(descriptor);
      return;
    }
    void* address = mmap(nullptr, length_, PROT_READ, MAP_PRIVATE, descriptor, 0);
    int code = errno;
    close(descriptor);  // the mapping keeps the file
    if (address != MAP_FAILED && mprotect(address, length_, PROT_READ | PROT_WRITE) != 0) {
      code = errno;
      munmap(address, length_);
      address = MAP_FAILED;
    }
    if (address == MAP_FAILED)
      throw Napi::Error::New(env, "cannot map " + path + ": " + ErrnoText(code));
    address_ = static_cast<uint8_t*>(address);
    GuardMapping(address_, length_, path);
  }

  ~MappedFile() override { Unmap(); }

 private:
  Napi::Value ByteLength(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), double(length_));
  }

  // read(offset, length) -> Uint8Array: a copy of those bytes.
  Napi::Value Read(const Napi::CallbackInfo& info) {
    const auto [offset, length] = Range(info);
    auto bytes = Napi::Uint8Array::New(info.Env(), length);
    if (length > 0) std::memcpy(bytes.Data(), address_ + offset, length);
    return bytes;
  }

  // crc32cBlocks(offset, length, block, threads) -> Uint32Array: as the function crc32cBlocks,
  // of those bytes.
  Napi::Value Crc32cBlocks(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const auto [offset, length] = Range(info);
    const size_t block = BlockArgument(env, info[2]);
    const size_t threads = ThreadsArgument(env, info[3]);
    auto crcs = Napi::Uint32Array::New(env, (length + block - 1) / block);
    ParallelBlockCrcs(address_ + offset, length, block, crcs.Data(), threads, BlockCrcRoutine());
    return crcs;
  }

  // take() -> ArrayBuffer over the whole file, unmapped when it is collected. The MappedFile is
  // spent: reading it again throws.
  Napi::Value Take(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (spent_) throw Napi::Error::New(env, "the mapped file was already taken or closed");
    spent_ = true;
    if (address_ == nullptr) return Napi::ArrayBuffer::New(env, 0);
    auto* mapping = new std::pair<uint8_t*, size_t>(address_, length_);
    address_ = nullptr;
    return Napi::ArrayBuffer::New(
        env, mapping->first, mapping->second,
        [](Napi::Env, void*, std::pair<uint8_t*, size_t>* done) {
          UnguardMapping(done->first);
          munmap(done->first, done->second);
          delete done;
        },
        mapping);
  }

  // close(): unmaps now rather than when the object is collected.
  void Close(const Napi::CallbackInfo&) {
    spent_ = true;
    Unmap();
  }

  // The (offset, length) of info[0], info[1], checked against the file.
  std::pair<size_t, size_t> Range(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (spent_) throw Napi::Error::New(env, "the mapped file was already taken or closed");
    if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsNumber())
      throw Napi::TypeError::New(env, "expected (offset: number, length: number)");
    const double offset = info[0].As<Napi::Number>().DoubleValue();
    const double length = info[1].As<Napi::Number>().DoubleValue();
    if (!(offset >= 0 && length >= 0 && offset + length <= double(length_)) ||
        offset != double(size_t(offset)) || length != double(size_t(length)))
      throw Napi::RangeError::New(env, "range outside the mapped file");
    return {size_t(offset), size_t(length)};
  }

  void Unmap() {
    if (address_ != nullptr) {
      UnguardMapping(address_);
      munmap(address_, length_);
    }
    address_ = nullptr;
  }

  uint8_t* address_ = nullptr;
  size_t length_ = 0;
  bool spent_ = false;
};

}  // namespace

void RegisterFolderIo(Napi::Env env, Napi::Object exports) {
  exports.Set("listFolder", Napi::Function::New(env, ListFolder));
  exports.Set("readHeads", Napi::Function::New(env, ReadHeads));
  exports.Set("MappedFile", MappedFile::Define(env));
  exports.Set("crc32cBlocks", Napi::Function::New(env, Crc32cBlocks));
}

}  // namespace infogan
