// SHA-256 against FIPS 180-4's examples and against coreutils' sha256sum on random data of every length
// around the block size. The ctest entry unit_ir:sha256-generic runs these again with DNNC_ISA=generic,
// so both the SHA-extension path (where the CPU has it) and the portable loop are checked.
#include "lib/support/sha256.h"

#include <catch2/catch.hpp>
#include <random>
#include <string>

#include "test/support/test_support.h"

using namespace dnnc;

TEST_CASE("sha256 gives FIPS 180-4's digests", "[sha256]") {
  CHECK(sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256Hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(sha256Hex(std::string(1000000, 'a')) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("sha256 of data and of files agrees with sha256sum", "[sha256]") {
  std::mt19937 rng(5);
  const std::string dir = test::scratchDir("sha256");
  for (size_t n : {1u, 55u, 56u, 63u, 64u, 65u, 119u, 120u, 128u, 1000u, (1u << 20) - 3, (1u << 20) + 77}) {
    std::string data(n, '\0');
    for (auto& c : data) c = char(rng());
    const std::string path = dir + "/d" + std::to_string(n);
    test::writeBytes(path, data);
    auto r = test::runProgram({"sha256sum", path});
    REQUIRE(r.exit_code == 0);
    const std::string want = r.out.substr(0, 64);
    INFO(n << " bytes");
    CHECK(sha256Hex(data) == want);
    auto file = sha256FileHex(path);
    REQUIRE(file);
    CHECK(*file == want);
  }
}
