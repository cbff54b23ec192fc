//===- LinkSharedLibrary.cpp - Linking a model into a .so -----------------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include "LinkSharedLibrary.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/Program.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"

using namespace llvm;

namespace quantc::cpu {

Expected<std::string> locateRuntimeLibrary(StringRef explicitPath) {
  std::string candidate;
  StringRef origin;
  if (!explicitPath.empty()) {
    candidate = explicitPath.str();
    origin = "--runtime-lib";
  } else if (std::optional<std::string> env =
                 sys::Process::GetEnv("QUANTC_RUNTIME_LIB");
             env && !env->empty()) {
    candidate = *env;
    origin = "QUANTC_RUNTIME_LIB";
  } else {
    static int anchor;
    std::string exe = sys::fs::getMainExecutable("quantc", &anchor);
    SmallString<256> path(sys::path::parent_path(exe));
    sys::path::append(path, "..", "lib", "libquantc_runtime.a");
    sys::path::remove_dots(path, /*remove_dot_dot=*/true);
    candidate = path.str().str();
    origin = "the quantc installation";
  }
  if (!sys::fs::is_regular_file(candidate))
    return createStringError(
        "runtime library '%s' (from %s) not found; build the quantc_runtime "
        "target, or name libquantc_runtime.a with --runtime-lib or "
        "QUANTC_RUNTIME_LIB",
        candidate.c_str(), origin.str().c_str());
  return candidate;
}

Expected<std::string> locateLinker(StringRef explicitLinker) {
  if (!explicitLinker.empty()) {
    // A path names the program; a bare name is looked up on PATH.
    if (explicitLinker.contains('/')) {
      if (sys::fs::can_execute(explicitLinker) &&
          !sys::fs::is_directory(explicitLinker))
        return explicitLinker.str();
    } else if (ErrorOr<std::string> found =
                   sys::findProgramByName(explicitLinker)) {
      return *found;
    }
    return createStringError("linker '%s' not found",
                             explicitLinker.str().c_str());
  }
  for (StringRef name : {"clang++-22", "clang++"})
    if (ErrorOr<std::string> found = sys::findProgramByName(name))
      return *found;
  StringRef fallback = "/usr/lib/llvm-22/bin/clang++";
  if (sys::fs::can_execute(fallback))
    return fallback.str();
  return createStringError("no linker found (tried clang++-22 and clang++ on "
                           "PATH, and %s); name one with --linker",
                           fallback.str().c_str());
}

Error linkSharedLibrary(StringRef linker, StringRef objectPath,
                        StringRef runtimeLibrary, StringRef triple,
                        StringRef outputPath) {
  // Link next to the output, then rename: no partial file on failure.
  SmallString<256> temp;
  std::string model = (outputPath + ".tmp-%%%%%%").str();
  if (std::error_code ec = sys::fs::createUniqueFile(model, temp))
    return createStringError(ec, "cannot create a file next to '%s'",
                             outputPath.str().c_str());
  FileRemover removeTemp(temp);

  SmallString<256> log;
  int logFd;
  if (std::error_code ec =
          sys::fs::createTemporaryFile("quantc-link", "log", logFd, log))
    return createStringError(ec, "cannot create a temporary file");
  sys::Process::SafelyCloseFileDescriptor(logFd);
  FileRemover removeLog(log);

  bool isLld = sys::path::filename(linker).contains("ld.lld");
  SmallVector<std::string> args = {linker.str(), "-shared"};
  std::string targetFlag;
  if (isLld) {
    args.append({"-o", temp.str().str(), objectPath.str(), "--whole-archive",
                 runtimeLibrary.str(), "--no-whole-archive"});
  } else {
    if (Triple(triple).getArch() != Triple(sys::getProcessTriple()).getArch())
      args.push_back("--target=" + triple.str());
    args.append({"-fuse-ld=lld", "-o", temp.str().str(), objectPath.str(),
                 "-Wl,--whole-archive", runtimeLibrary.str(),
                 "-Wl,--no-whole-archive", "-lm", "-lpthread"});
  }
  SmallVector<StringRef> argRefs(args.begin(), args.end());
  std::optional<StringRef> redirects[] = {std::nullopt, StringRef(log),
                                          StringRef(log)};
  std::string message;
  int rc = sys::ExecuteAndWait(linker, argRefs, std::nullopt, redirects,
                               /*SecondsToWait=*/0, /*MemoryLimit=*/0,
                               &message);
  if (rc != 0) {
    std::string output;
    if (auto buffer = MemoryBuffer::getFile(log))
      output = (*buffer)->getBuffer().trim().str();
    std::string command;
    for (const std::string &arg : args)
      command += (command.empty() ? "" : " ") + arg;
    return createStringError(
        "linking '%s' failed (%s): %s\n%s", outputPath.str().c_str(),
        message.empty() ? ("exit code " + std::to_string(rc)).c_str()
                        : message.c_str(),
        command.c_str(), output.c_str());
  }
  if (std::error_code ec = sys::fs::rename(temp, outputPath))
    return createStringError(ec, "cannot rename '%s' to '%s'",
                             temp.c_str(), outputPath.str().c_str());
  removeTemp.releaseFile();
  return Error::success();
}

} // namespace quantc::cpu
