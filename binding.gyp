{
  "targets": [
    {
      "target_name": "infogan_torch",
      "sources": ["native/torch_binding.cc"],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<!@(node scripts/find-libtorch.js --include)"
      ],
      "defines": ["NAPI_VERSION=8", "<!@(node scripts/find-libtorch.js --defines)"],
      "cflags!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-std=gnu++14"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-O2", "-Wno-unused-parameter"],
      "libraries": [
        "-L<!(node scripts/find-libtorch.js --libdir)",
        "-Wl,-rpath,<!(node scripts/find-libtorch.js --libdir)",
        "-ltorch", "-ltorch_cpu", "-lc10"
      ],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "OTHER_CPLUSPLUS_FLAGS": ["-fexceptions"]
      }
    },
    {
      "target_name": "infogan_image",
      "sources": ["native/image_decode.cc", "native/folder_io.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-std=gnu++14"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-O3"],
      "libraries": ["-ljpeg"],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "OTHER_CPLUSPLUS_FLAGS": ["-fexceptions", "-O3"]
      }
    }
  ]
}
