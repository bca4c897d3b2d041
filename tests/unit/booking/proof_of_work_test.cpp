// ALTCHA PoW v2 (issue #7): the key derivation against RFC 7914's PBKDF2-HMAC-SHA-256
// vector, canonical JSON, and every way a solution can fail verification.

#include "booking/proof_of_work.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "crypto/encoding.hpp"

namespace praxis::booking {
namespace {

namespace json = boost::json;

class FixedRandom final : public core::Random {
 public:
  void fill(std::span<std::uint8_t> out) override {
    for (auto& b : out) b = next_++;
  }

 private:
  std::uint8_t next_ = 1;
};

crypto::SecretKey key(std::uint8_t fill) {
  std::array<std::uint8_t, crypto::kKeyBytes> bytes{};
  bytes.fill(fill);
  return crypto::SecretKey::from_bytes(bytes);
}

const core::Instant kNow{std::chrono::seconds(1'800'000'000)};

std::string encode(const json::object& payload) {
  const std::string text = json::serialize(payload);
  return crypto::base64_encode(std::span<const std::uint8_t>(
      reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

std::vector<std::uint8_t> unhex(std::string_view text) {
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i + 1 < text.size(); i += 2) {
    out.push_back(
        static_cast<std::uint8_t>(std::stoi(std::string(text.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

// What the widget does: count up until the derived key has the prefix.
json::object solve(const json::object& challenge) {
  const auto& p = challenge.at("parameters").as_object();
  const auto nonce = unhex(p.at("nonce").as_string());
  const auto salt = unhex(p.at("salt").as_string());
  for (std::uint32_t counter = 0;; ++counter) {
    const std::string derived =
        crypto::hex_encode(derive_key(nonce, counter, salt, p.at("cost").as_int64(), 32));
    if (derived.starts_with(std::string(p.at("keyPrefix").as_string()))) {
      return json::object{
          {"challenge", challenge},
          {"solution", json::object{{"counter", counter}, {"derivedKey", derived}}}};
    }
  }
}

std::string reason(const core::Result<SpentChallenge>& r) {
  if (r || r.error().fields.empty()) return "";
  return r.error().fields.front().code;
}

PowOptions cheap() {
  PowOptions o;
  o.cost = 10;
  o.key_prefix = "0";
  return o;
}

TEST(ProofOfWork, DerivesKeysAsPbkdf2OfNonceAndBigEndianCounter) {
  // RFC 7914 §11: PBKDF2-HMAC-SHA-256("passwd", "salt", 1, 64). The password splits into
  // the nonce "pa" and the counter bytes "sswd" (0x73737764, big-endian).
  const std::string nonce = "pa";
  const std::string salt = "salt";
  const auto derived = derive_key(
      std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(nonce.data()), 2),
      0x73737764U,
      std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(salt.data()), 4), 1, 64);
  EXPECT_EQ(crypto::hex_encode(derived),
            "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
            "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783");
}

TEST(ProofOfWork, CanonicalJsonSortsKeysAtEveryLevelWithoutSpaces) {
  EXPECT_EQ(canonical_json(json::parse(R"({"z":1,"a":{"c":[{"y":2,"b":"ü"}],"b":true}})")),
            R"({"a":{"b":true,"c":[{"b":"ü","y":2}]},"z":1})");
}

TEST(ProofOfWork, AChallengeIsSignedAndExpires) {
  FixedRandom random;
  const auto c = make_challenge(key(7), random, kNow, PowOptions{});
  const auto& p = c.at("parameters").as_object();
  EXPECT_EQ(p.at("algorithm").as_string(), "PBKDF2/SHA-256");
  EXPECT_EQ(p.at("cost").as_int64(), 5000);
  EXPECT_EQ(p.at("keyLength").as_int64(), 32);
  EXPECT_EQ(p.at("keyPrefix").as_string(), "00");
  EXPECT_EQ(p.at("expiresAt").as_int64(), 1'800'000'600);
  EXPECT_EQ(p.at("nonce").as_string().size(), 32u);
  EXPECT_EQ(c.at("signature").as_string().size(), 64u) << "hex HMAC-SHA-256";
}

TEST(ProofOfWork, ASolvedChallengeVerifiesOnceItsSignatureAndKeyHold) {
  FixedRandom random;
  const auto challenge = make_challenge(key(7), random, kNow, cheap());
  const auto payload = solve(challenge);
  auto ok = verify_solution(key(7), encode(payload), kNow + std::chrono::seconds(30));
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->nonce, challenge.at("parameters").as_object().at("nonce").as_string());
  EXPECT_EQ(ok->expires_at, 1'800'000'600);

  auto upper = payload;
  std::string k(upper["solution"].as_object()["derivedKey"].as_string());
  for (auto& ch : k) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  upper["solution"].as_object()["derivedKey"] = k;
  EXPECT_TRUE(verify_solution(key(7), encode(upper), kNow)) << "hex case does not matter";

  EXPECT_EQ(reason(verify_solution(key(8), encode(payload), kNow)), "signature")
      << "another practice's key";
  EXPECT_EQ(reason(verify_solution(key(7), encode(payload), kNow + std::chrono::minutes(11))),
            "expired");

  for (const char* field : {"cost", "keyPrefix", "expiresAt", "salt"}) {
    auto eased = payload;
    auto& p = eased["challenge"].as_object()["parameters"].as_object();
    if (p[field].is_string()) {
      p[field] = std::string(field) == "keyPrefix" ? "" : "00";
    } else {
      p[field] = p[field].as_int64() + 1;
    }
    EXPECT_EQ(reason(verify_solution(key(7), encode(eased), kNow)), "signature") << field;
  }
  auto wrong = payload;
  wrong["solution"].as_object()["counter"] =
      wrong["solution"].as_object()["counter"].to_number<std::int64_t>() + 1;
  EXPECT_EQ(reason(verify_solution(key(7), encode(wrong), kNow)), "solution");

  // A key that matches its counter but lacks the prefix is no solution either.
  auto no_prefix = payload;
  auto& p = no_prefix["challenge"].as_object()["parameters"].as_object();
  const auto nonce = unhex(p["nonce"].as_string());
  const auto salt = unhex(p["salt"].as_string());
  for (std::uint32_t counter = 0;; ++counter) {
    const std::string derived = crypto::hex_encode(derive_key(nonce, counter, salt, 10, 32));
    if (!derived.starts_with("0")) {
      no_prefix["solution"] = json::object{{"counter", counter}, {"derivedKey", derived}};
      break;
    }
  }
  EXPECT_EQ(reason(verify_solution(key(7), encode(no_prefix), kNow)), "solution");
}

TEST(ProofOfWork, MalformedPayloadsAreRefusedWithoutWork) {
  for (const std::string& bad :
       {std::string(), std::string("%%%"), std::string("bm90IGpzb24="),
        encode(json::object{{"challenge", 1}}),
        encode(json::object{{"challenge", json::object{}}, {"solution", json::object{}}}),
        std::string(5000, 'A')}) {
    EXPECT_EQ(reason(verify_solution(key(7), bad, kNow)), "malformed") << bad.substr(0, 40);
  }
}

}  // namespace
}  // namespace praxis::booking
