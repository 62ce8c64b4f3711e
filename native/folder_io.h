// File-system functions of the infogan_image binding (folder_io.cc), added to its exports.
#ifndef INFOGAN_NATIVE_FOLDER_IO_H_
#define INFOGAN_NATIVE_FOLDER_IO_H_

#include <napi.h>

namespace infogan {

// Adds listFolder, readHeads, crc32cBlocks and the class MappedFile to `exports`.
void RegisterFolderIo(Napi::Env env, Napi::Object exports);

}  // namespace infogan

#endif  // INFOGAN_NATIVE_FOLDER_IO_H_
