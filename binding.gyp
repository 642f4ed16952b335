{
  "targets": [
    {
      "target_name": "cmbflow_legendre",
      "sources": ["native/legendre.cc"],
      "cflags_cc": ["-O3", "-fno-exceptions", "-std=c++17", "-ffp-contract=off"],
      "cflags_cc!": ["-O2", "-O0", "-Os"]
    }
  ]
}
