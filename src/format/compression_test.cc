// Tests for the CompressionFormat compressors, decoding with independent implementations.
#include "format/compression.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace hydrant::format {
namespace {

// Newline-delimited JSON records of varied content, `size` bytes in total.
std::string JsonLikeData(size_t size) {
  std::mt19937 rng(42);
  std::string out;
  out.reserve(size + 256);
  for (int i = 0; out.size() < size; ++i) {
    out += "{\"id\":" + std::to_string(i) + ",\"user\":\"user-" + std::to_string(rng() % 5000) +
           "\",\"score\":" + std::to_string(rng() % 100000) + ",\"tag\":\"" +
           std::string(1 + rng() % 20, static_cast<char>('a' + rng() % 26)) + "\"}\n";
  }
  out.resize(size);
  return out;
}

class CompressionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/hydrant-compression-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Path(const std::string& name) const { return dir_ + "/" + name; }
  static void WriteFile(const std::string& path, std::string_view data) {
    std::ofstream(path, std::ios::binary)
        .write(data.data(), static_cast<std::streamsize>(data.size()));
  }
  static std::string ReadFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  // Runs a shell command; returns its exit status.
  static int Run(const std::string& command) {
    const int rc = std::system(command.c_str());
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  }

  std::string Compressed(std::string_view format, std::string_view data,
                         std::string_view entry = "entry") {
    Result<std::string> out = Compress(format, data, entry);
    EXPECT_TRUE(out.ok()) << out.status().ToString();
    return out.ok() ? std::move(out).value() : std::string();
  }

  std::string dir_;
};

const std::vector<std::string>& Inputs() {
  static const std::vector<std::string> inputs = {"", "x", JsonLikeData(10 << 20)};
  return inputs;
}

TEST(CompressionFormatTest, LooksUpTheServiceSpellings) {
  struct Want { const char* name; const char* ext; const char* enc; };
  for (const Want& w : {Want{"UNCOMPRESSED", "", ""}, Want{"GZIP", ".gz", "gzip"},
                        Want{"ZIP", ".zip", "zip"}, Want{"Snappy", ".snappy", "snappy-java"},
                        Want{"HADOOP_SNAPPY", ".snappy", "hadoop-snappy"}}) {
    Result<CompressionFormatInfo> info = LookupCompressionFormat(w.name);
    ASSERT_TRUE(info.ok()) << w.name;
    EXPECT_EQ(info->name, w.name);
    EXPECT_EQ(info->extension, w.ext) << w.name;
    EXPECT_EQ(info->content_encoding, w.enc) << w.name;
  }
}

TEST(CompressionFormatTest, CompressObjectLabelsTheBody) {
  Object gzipped;
  gzipped.body = "records";
  ASSERT_TRUE(CompressObject("GZIP", "e", &gzipped).ok());
  EXPECT_EQ(gzipped.content_encoding, "gzip");
  EXPECT_EQ(gzipped.body, Compress("GZIP", "records", "e").value());
  EXPECT_EQ(gzipped.content_type, "application/octet-stream");

  Object plain;
  plain.body = "records";
  ASSERT_TRUE(CompressObject("UNCOMPRESSED", "e", &plain).ok());
  EXPECT_EQ(plain.body, "records");
  EXPECT_EQ(plain.content_encoding, "");

  Object unknown;
  unknown.body = "records";
  EXPECT_EQ(CompressObject("gzip", "e", &unknown).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(unknown.body, "records");
  EXPECT_EQ(unknown.content_encoding, "");
}

TEST(CompressionFormatTest, RejectsUnknownAndMiscasedFormats) {
  for (const char* bad : {"gzip", "SNAPPY", "Zip", "", "BZIP2"}) {
    Result<std::string> out = Compress(bad, "data", "e");
    ASSERT_FALSE(out.ok()) << bad;
    EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST_F(CompressionTest, UncompressedIsIdentity) {
  for (const std::string& in : Inputs()) EXPECT_EQ(Compressed("UNCOMPRESSED", in), in);
}

TEST_F(CompressionTest, GzipDecodesWithZlib) {
  for (const std::string& in : Inputs()) {
    const std::string gz = Compressed("GZIP", in);
    ASSERT_GE(gz.size(), 18u);
    EXPECT_EQ(static_cast<uint8_t>(gz[0]), 0x1f);
    EXPECT_EQ(static_cast<uint8_t>(gz[1]), 0x8b);
    z_stream z{};
    ASSERT_EQ(inflateInit2(&z, 16 + MAX_WBITS), Z_OK);  // gzip wrapper only.
    std::string out(in.size() + 1, '\0');  // One spare byte catches trailing garbage output.
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
    z.avail_in = static_cast<uInt>(gz.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    EXPECT_EQ(inflate(&z, Z_FINISH), Z_STREAM_END);  // Also verifies the CRC32 and ISIZE trailer.
    EXPECT_EQ(z.avail_in, 0u) << "bytes after the gzip member";
    out.resize(z.total_out);
    inflateEnd(&z);
    EXPECT_EQ(out, in);
  }
  // Large inputs compress: JSON-like data shrinks well below half.
  EXPECT_LT(Compressed("GZIP", Inputs()[2]).size(), Inputs()[2].size() / 2);
}

// Large bodies are compressed in pieces on several threads; the result is still one member,
// with the header of the small ones, whatever the sizes of the pieces.
TEST_F(CompressionTest, GzipOfLargeBodiesIsOneMemberWithTheSameHeader) {
  const std::string small = Compressed("GZIP", "x");
  for (size_t size : {size_t{2} << 20, (size_t{3} << 20) + 7, (size_t{9} << 20) + 4095}) {
    const std::string in = JsonLikeData(size).substr(0, size);
    ASSERT_EQ(in.size(), size);
    const std::string gz = Compressed("GZIP", in);
    EXPECT_EQ(gz.substr(0, 10), small.substr(0, 10)) << size;
    z_stream z{};
    ASSERT_EQ(inflateInit2(&z, 16 + MAX_WBITS), Z_OK);
    std::string out(in.size() + 1, '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
    z.avail_in = static_cast<uInt>(gz.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    EXPECT_EQ(inflate(&z, Z_FINISH), Z_STREAM_END) << size;  // CRC32 and ISIZE checked
    EXPECT_EQ(z.avail_in, 0u) << "bytes after the gzip member";
    out.resize(z.total_out);
    inflateEnd(&z);
    EXPECT_TRUE(out == in) << size;
    EXPECT_LT(gz.size(), in.size() / 2);
  }
}

TEST_F(CompressionTest, GzipDecodesWithGunzip) {
  const std::string& in = Inputs()[2];
  WriteFile(Path("a.gz"), Compressed("GZIP", in));
  ASSERT_EQ(Run("gunzip -t " + Path("a.gz")), 0);
  ASSERT_EQ(Run("gunzip -c " + Path("a.gz") + " > " + Path("a.out")), 0);
  EXPECT_EQ(ReadFile(Path("a.out")), in);
}

TEST_F(CompressionTest, ZipHoldsOneNamedEntryReadableByUnzip) {
  for (const std::string& in : Inputs()) {
    const std::string name = "stream-1-2026-11-27-17-00-00-abc";
    WriteFile(Path("a.zip"), Compressed("ZIP", in, name));
    ASSERT_EQ(Run("unzip -tq " + Path("a.zip") + " > /dev/null"), 0);
    ASSERT_EQ(Run("zipinfo -1 " + Path("a.zip") + " > " + Path("names")), 0);
    EXPECT_EQ(ReadFile(Path("names")), name + "\n");
    ASSERT_EQ(Run("unzip -p " + Path("a.zip") + " > " + Path("a.out")), 0);
    EXPECT_EQ(ReadFile(Path("a.out")), in);
  }
  EXPECT_LT(Compressed("ZIP", Inputs()[2], "e").size(), Inputs()[2].size() / 2);
}

TEST_F(CompressionTest, ZipNeedsAnEntryName) {
  Result<std::string> out = Compress("ZIP", "data", "");
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(CompressionTest, SnappyIsTheXerialStreamFormat) {
  // Independent decoder: python3-snappy's raw snappy.uncompress on each block, with the header
  // and block sizes checked by hand (32 KiB blocks, the last one possibly short).
  const std::string decoder = Path("xerial.py");
  WriteFile(decoder,
            "import snappy, struct, sys\n"
            "d = open(sys.argv[1], 'rb').read()\n"
            "assert d[:8] == b'\\x82SNAPPY\\x00', d[:8]\n"
            "assert struct.unpack('>ii', d[8:16]) == (1, 1)\n"
            "p, out, sizes = 16, [], []\n"
            "while p < len(d):\n"
            "    (n,) = struct.unpack('>i', d[p:p + 4]); p += 4\n"
            "    assert 0 < n <= len(d) - p\n"
            "    b = snappy.uncompress(d[p:p + n]); p += n\n"
            "    out.append(b); sizes.append(len(b))\n"
            "assert all(s == 32768 for s in sizes[:-1]), sizes\n"
            "assert all(0 < s <= 32768 for s in sizes), sizes\n"
            "open(sys.argv[2], 'wb').write(b''.join(out))\n"
            "print(len(sizes))\n");
  for (const std::string& in : Inputs()) {
    const std::string sn = Compressed("Snappy", in);
    WriteFile(Path("a.snappy"), sn);
    ASSERT_EQ(Run("/usr/bin/python3 " + decoder + " " + Path("a.snappy") + " " + Path("a.out") +
                  " > " + Path("blocks")),
              0);
    EXPECT_EQ(ReadFile(Path("a.out")), in);
    EXPECT_EQ(ReadFile(Path("blocks")), std::to_string((in.size() + 32767) / 32768) + "\n");
  }
}

TEST_F(CompressionTest, HadoopSnappyDecodesWithPythonSnappy) {
  for (const std::string& in : Inputs()) {
    const std::string hs = Compressed("HADOOP_SNAPPY", in);
    ASSERT_GE(hs.size(), 4u);
    // First block header: the uncompressed length of the first (at most 256 KiB) block.
    const uint32_t first =
        (static_cast<uint32_t>(static_cast<uint8_t>(hs[0])) << 24) |
        (static_cast<uint32_t>(static_cast<uint8_t>(hs[1])) << 16) |
        (static_cast<uint32_t>(static_cast<uint8_t>(hs[2])) << 8) | static_cast<uint8_t>(hs[3]);
    EXPECT_EQ(first, std::min<size_t>(in.size(), 256 * 1024));
    WriteFile(Path("a.hsnappy"), hs);
    ASSERT_EQ(Run("/usr/bin/python3 -c \"import snappy.hadoop_snappy as h, sys; "
                  "h.stream_decompress(open(sys.argv[1], 'rb'), open(sys.argv[2], 'wb'))\" " +
                  Path("a.hsnappy") + " " + Path("a.out")),
              0);
    EXPECT_EQ(ReadFile(Path("a.out")), in);
  }
}

}  // namespace
}  // namespace hydrant::format
