#include "booking/proof_of_work.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <map>
#include <optional>

#include "crypto/encoding.hpp"

namespace praxis::booking {

namespace json = boost::json;
using core::ErrorCode;

namespace {

constexpr std::size_t kNonceBytes = 16;
constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kMaxPayload = 4096;

std::optional<std::vector<std::uint8_t>> hex_decode(std::string_view text) {
  if (text.size() % 2 != 0) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::vector<std::uint8_t> out(text.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int hi = nibble(text[2 * i]);
    const int lo = nibble(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return out;
}

std::string random_hex_string(core::Random& random, std::size_t bytes) {
  std::vector<std::uint8_t> b(bytes);
  random.fill(b);
  return crypto::hex_encode(b);
}

std::string sign(const crypto::SecretKey& key, std::string_view text) {
  std::array<std::uint8_t, EVP_MAX_MD_SIZE> mac{};
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(crypto::kKeyBytes),
       reinterpret_cast<const unsigned char*>(text.data()), text.size(), mac.data(), &length);
  return crypto::hex_encode(std::span<const std::uint8_t>(mac.data(), length));
}

bool equal_in_constant_time(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

core::Error refused(std::string_view code, std::string message) {
  auto e = core::Error::make(ErrorCode::invalid_input, std::move(message));
  e.fields.push_back(
      {"altcha", std::string(code),
       "Die Sicherheitsprüfung ist fehlgeschlagen; bitte erneut versuchen. / The security "
       "check failed; please try again."});
  return e;
}

core::Error malformed() {
  return refused("malformed",
                 "Die Sicherheitsprüfung fehlt oder ist unlesbar. / The proof-of-work is "
                 "missing or unreadable.");
}

}  // namespace

std::string canonical_json(const json::value& value) {
  switch (value.kind()) {
    case json::kind::object: {
      std::map<std::string_view, const json::value*> sorted;
      for (const auto& [k, v] : value.get_object()) sorted.emplace(k, &v);
      std::string out = "{";
      bool first = true;
      for (const auto& [k, v] : sorted) {
        if (!first) out += ',';
        first = false;
        out += json::serialize(json::string(k));
        out += ':';
        out += canonical_json(*v);
      }
      return out + "}";
    }
    case json::kind::array: {
      std::string out = "[";
      bool first = true;
      for (const auto& v : value.get_array()) {
        if (!first) out += ',';
        first = false;
        out += canonical_json(v);
      }
      return out + "]";
    }
    default:
      return json::serialize(value);
  }
}

std::vector<std::uint8_t> derive_key(std::span<const std::uint8_t> nonce, std::uint32_t counter,
                                     std::span<const std::uint8_t> salt, std::int64_t cost,
                                     std::size_t length) {
  std::vector<std::uint8_t> password(nonce.begin(), nonce.end());
  for (int shift = 24; shift >= 0; shift -= 8) {
    password.push_back(static_cast<std::uint8_t>((counter >> shift) & 0xFFU));
  }
  std::vector<std::uint8_t> out(length);
  PKCS5_PBKDF2_HMAC(reinterpret_cast<const char*>(password.data()),
                    static_cast<int>(password.size()), salt.data(), static_cast<int>(salt.size()),
                    static_cast<int>(cost), EVP_sha256(), static_cast<int>(length), out.data());
  return out;
}

json::object make_challenge(const crypto::SecretKey& key, core::Random& random, core::Instant now,
                            const PowOptions& options) {
  const auto expires =
      std::chrono::duration_cast<std::chrono::seconds>((now + options.validity).time_since_epoch())
          .count();
  json::object parameters{{"algorithm", kPowAlgorithm},
                          {"nonce", random_hex_string(random, kNonceBytes)},
                          {"salt", random_hex_string(random, kSaltBytes)},
                          {"cost", options.cost},
                          {"keyLength", kPowKeyLength},
                          {"keyPrefix", options.key_prefix},
                          {"expiresAt", expires}};
  std::string signature = sign(key, canonical_json(parameters));
  return json::object{{"parameters", std::move(parameters)}, {"signature", std::move(signature)}};
}

core::Result<SpentChallenge> verify_solution(const crypto::SecretKey& key, std::string_view payload,
                                             core::Instant now) {
  if (payload.empty() || payload.size() > kMaxPayload) return tl::unexpected(malformed());
  auto decoded = crypto::base64_decode(payload);
  if (!decoded) return tl::unexpected(malformed());
  boost::system::error_code ec;
  const auto value = json::parse(
      std::string_view(reinterpret_cast<const char*>(decoded->data()), decoded->size()), ec);
  if (ec || !value.is_object()) return tl::unexpected(malformed());
  const auto* challenge = value.as_object().if_contains("challenge");
  const auto* solution = value.as_object().if_contains("solution");
  if (!challenge || !challenge->is_object() || !solution || !solution->is_object()) {
    return tl::unexpected(malformed());
  }
  const auto* parameters = challenge->as_object().if_contains("parameters");
  const auto* signature = challenge->as_object().if_contains("signature");
  if (!parameters || !parameters->is_object() || !signature || !signature->is_string()) {
    return tl::unexpected(malformed());
  }
  const auto& p = parameters->as_object();
  auto text = [&](std::string_view name) -> std::optional<std::string_view> {
    const auto* v = p.if_contains(name);
    if (!v || !v->is_string()) return std::nullopt;
    return std::string_view(v->as_string());
  };
  auto integer = [](const json::value* v) -> std::optional<std::int64_t> {
    if (v == nullptr) return std::nullopt;
    if (v->is_int64()) return v->as_int64();
    if (v->is_uint64() && v->as_uint64() <= INT64_MAX)
      return static_cast<std::int64_t>(v->as_uint64());
    return std::nullopt;
  };
  const auto algorithm = text("algorithm");
  const auto nonce_hex = text("nonce");
  const auto salt_hex = text("salt");
  const auto prefix = text("keyPrefix");
  const auto cost = integer(p.if_contains("cost"));
  const auto key_length = integer(p.if_contains("keyLength"));
  const auto expires_at = integer(p.if_contains("expiresAt"));
  const auto counter = integer(solution->as_object().if_contains("counter"));
  const auto* derived = solution->as_object().if_contains("derivedKey");
  if (!algorithm || !nonce_hex || !salt_hex || !prefix || !cost || !key_length || !expires_at ||
      !counter || *counter < 0 || *counter > UINT32_MAX || !derived || !derived->is_string()) {
    return tl::unexpected(malformed());
  }
  // The signature first: parameters the server did not issue cost no key derivation.
  if (!equal_in_constant_time(sign(key, canonical_json(*parameters)), signature->as_string())) {
    return tl::unexpected(refused("signature",
                                  "Die Sicherheitsprüfung stammt nicht von diesem Server. / The "
                                  "proof-of-work was not issued by this server."));
  }
  const auto now_seconds =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  if (now_seconds > *expires_at) {
    return tl::unexpected(refused("expired",
                                  "Die Sicherheitsprüfung ist abgelaufen; bitte erneut "
                                  "absenden. / The proof-of-work expired; please send again."));
  }
  const auto nonce = hex_decode(*nonce_hex);
  const auto salt = hex_decode(*salt_hex);
  if (*algorithm != kPowAlgorithm || !nonce || !salt || *key_length != kPowKeyLength || *cost < 1 ||
      *cost > 10'000'000) {
    return tl::unexpected(malformed());
  }
  const auto key_bytes = derive_key(*nonce, static_cast<std::uint32_t>(*counter), *salt, *cost,
                                    static_cast<std::size_t>(*key_length));
  const std::string expected = crypto::hex_encode(key_bytes);
  std::string submitted(derived->as_string());
  std::transform(submitted.begin(), submitted.end(), submitted.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::string wanted_prefix(*prefix);
  std::transform(wanted_prefix.begin(), wanted_prefix.end(), wanted_prefix.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  const bool key_matches = equal_in_constant_time(expected, submitted);
  const bool prefix_matches =
      wanted_prefix.size() <= expected.size() &&
      equal_in_constant_time(std::string_view(expected).substr(0, wanted_prefix.size()),
                             wanted_prefix);
  if (!key_matches || !prefix_matches) {
    return tl::unexpected(refused("solution",
                                  "Die Sicherheitsprüfung ist nicht gelöst. / The proof-of-work "
                                  "is not solved."));
  }
  return SpentChallenge{std::string(*nonce_hex), *expires_at};
}

}  // namespace praxis::booking
