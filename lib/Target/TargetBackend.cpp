//===- TargetBackend.cpp - The registry of target backends ----------------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include "quantc/Target/TargetBackend.h"

#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/ManagedStatic.h"
#include "llvm/Support/Mutex.h"
#include "llvm/Support/Path.h"

#include <algorithm>
#include <mutex>

using namespace llvm;

namespace quantc {

TargetBackend::~TargetBackend() = default;

StringRef stringifyEmitKind(EmitKind kind) {
  switch (kind) {
  case EmitKind::Object:
    return "obj";
  case EmitKind::StaticLib:
    return "lib";
  case EmitKind::SharedLib:
    return "so";
  case EmitKind::LLVMIR:
    return "llvm";
  case EmitKind::MLIR:
    return "mlir";
  case EmitKind::Assembly:
    return "asm";
  case EmitKind::Header:
    return "header";
  }
  llvm_unreachable("unknown EmitKind");
}

std::optional<EmitKind> parseEmitKind(StringRef text) {
  return StringSwitch<std::optional<EmitKind>>(text)
      .Case("obj", EmitKind::Object)
      .Case("lib", EmitKind::StaticLib)
      .Case("so", EmitKind::SharedLib)
      .Case("llvm", EmitKind::LLVMIR)
      .Case("mlir", EmitKind::MLIR)
      .Case("asm", EmitKind::Assembly)
      .Case("header", EmitKind::Header)
      .Default(std::nullopt);
}

std::optional<EmitKind> emitKindFromPath(StringRef path) {
  return StringSwitch<std::optional<EmitKind>>(sys::path::extension(path))
      .Cases({".o", ".obj"}, EmitKind::Object)
      .Case(".a", EmitKind::StaticLib)
      .Case(".so", EmitKind::SharedLib)
      .Case(".ll", EmitKind::LLVMIR)
      .Case(".mlir", EmitKind::MLIR)
      .Case(".s", EmitKind::Assembly)
      .Case(".h", EmitKind::Header)
      .Default(std::nullopt);
}

namespace {
struct Registry {
  sys::SmartMutex<true> mutex;
  SmallVector<std::unique_ptr<TargetBackend>> backends;
};
} // namespace

static Registry &registry() {
  static Registry instance;
  return instance;
}

void registerTargetBackend(std::unique_ptr<TargetBackend> backend) {
  Registry &r = registry();
  std::lock_guard<sys::SmartMutex<true>> lock(r.mutex);
  for (const auto &existing : r.backends)
    if (existing->getName() == backend->getName())
      return;
  r.backends.push_back(std::move(backend));
}

const TargetBackend *lookupTargetBackend(StringRef name) {
  Registry &r = registry();
  std::lock_guard<sys::SmartMutex<true>> lock(r.mutex);
  for (const auto &backend : r.backends)
    if (backend->getName() == name)
      return backend.get();
  return nullptr;
}

SmallVector<const TargetBackend *> listTargetBackends() {
  Registry &r = registry();
  std::lock_guard<sys::SmartMutex<true>> lock(r.mutex);
  SmallVector<const TargetBackend *> result;
  for (const auto &backend : r.backends)
    result.push_back(backend.get());
  std::sort(result.begin(), result.end(),
            [](const TargetBackend *a, const TargetBackend *b) {
              return a->getName() < b->getName();
            });
  return result;
}

const TargetBackend *resolveTarget(StringRef target, std::string &subTarget) {
  subTarget.clear();
  auto [backendName, sub] = target.split(':');
  if (const TargetBackend *backend = lookupTargetBackend(backendName)) {
    if (sub.empty()) {
      return backend;
    }
    for (const std::string &candidate : backend->getSubTargets())
      if (candidate == sub) {
        subTarget = sub.str();
        return backend;
      }
    return nullptr;
  }
  if (!sub.empty())
    return nullptr;
  for (const TargetBackend *backend : listTargetBackends())
    for (const std::string &candidate : backend->getSubTargets())
      if (candidate == target) {
        subTarget = target.str();
        return backend;
      }
  return nullptr;
}

} // namespace quantc
