#include "patients/stored_record.hpp"

#include <cbor.h>

#include <algorithm>
#include <array>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>

namespace praxis::patients {

namespace {

namespace json = boost::json;

// Field numbers 1–20 are the texts, in the order of texts() below.
constexpr std::uint64_t kPhones = 21;
constexpr std::uint64_t kEmailRemindersGiven = 22;
constexpr std::uint64_t kSmsRemindersGiven = 23;

template <typename R,
          typename S = std::conditional_t<std::is_const_v<R>, const std::string, std::string>>
std::array<S*, 20> texts(R& r) {
  return {&r.family_name,             // 1
          &r.given_names,             // 2
          &r.title,                   // 3
          &r.name_prefix,             // 4
          &r.name_suffix,             // 5
          &r.birth_date,              // 6
          &r.sex,                     // 7
          &r.address.street,          // 8
          &r.address.postcode,        // 9
          &r.address.city,            // 10
          &r.address.country,         // 11
          &r.email,                   // 12
          &r.insurance.kind,          // 13
          &r.insurance.insurer_name,  // 14
          &r.insurance.ik,            // 15
          &r.insurance.kvnr,          // 16
          &r.language,                // 17
          &r.note,                    // 18
          &r.email_reminders.at,      // 19
          &r.sms_reminders.at};       // 20
}

// Every head libcbor writes (type and length or value) fits into 9 bytes.
template <typename Encode, typename Value>
void put_head(std::string& out, Encode encode, Value value) {
  unsigned char head[9];
  const std::size_t n = encode(value, head, sizeof head);
  out.append(reinterpret_cast<const char*>(head), n);
}

void put_text(std::string& out, std::string_view text) {
  put_head(out, cbor_encode_string_start, text.size());
  out.append(text);
}

// The streaming decoder's state: after the map's head, a field number, then its value;
// inside the phone list, its strings.
class Reader {
 public:
  explicit Reader(Record& r) : record_(r), texts_(texts(r)) {}

  core::Result<void> read(std::string_view stored) {
    const auto* data = reinterpret_cast<const unsigned char*>(stored.data());
    std::size_t at = 0;
    while (at < stored.size() && !error_) {
      const auto result = cbor_stream_decode(data + at, stored.size() - at, &kCallbacks, this);
      if (result.status != CBOR_DECODER_FINISHED) {
        error_ = result.status == CBOR_DECODER_NEDATA ? "truncated" : "malformed";
        break;
      }
      at += result.read;
    }
    if (!error_ && state_ != State::done) error_ = "incomplete";
    if (error_) return core::fail(core::ErrorCode::internal, "", "patient record: " + *error_);
    return {};
  }

 private:
  enum class State { start, number, value, phones, done };

  static Reader& self(void* context) { return *static_cast<Reader*>(context); }
  void fail(std::string why) {
    if (!error_) error_ = std::move(why);
  }
  void value_read() { state_ = --fields_left_ == 0 ? State::done : State::number; }

  void on_map(std::size_t size) {
    if (state_ != State::start) return fail("unexpected map");
    fields_left_ = size;
    state_ = size == 0 ? State::done : State::number;
  }
  void on_uint(std::uint64_t v) {
    if (state_ != State::number) return fail("unexpected number");
    if (v == 0 || v > kSmsRemindersGiven) return fail("unknown field " + std::to_string(v));
    if (v <= last_field_) return fail("fields out of order");
    last_field_ = v;
    field_ = v;
    state_ = State::value;
  }
  void on_text(const unsigned char* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    if (state_ == State::phones) {
      if (phone_texts_left_ % 2 == 0) {
        record_.phones.push_back({std::string(text), {}});
      } else {
        record_.phones.back().number = std::string(text);
      }
      if (--phone_texts_left_ == 0) value_read();
      return;
    }
    if (state_ != State::value || field_ > texts_.size()) return fail("unexpected text");
    texts_[field_ - 1]->assign(text);
    value_read();
  }
  void on_array(std::size_t size) {
    if (state_ != State::value || field_ != kPhones || size == 0 || size % 2 != 0) {
      return fail("unexpected array");
    }
    record_.phones.reserve(std::min<std::size_t>(size / 2, 8));  // the head is not proof
    phone_texts_left_ = size;
    state_ = State::phones;
  }
  void on_bool(bool v) {
    if (state_ != State::value) return fail("unexpected boolean");
    if (field_ == kEmailRemindersGiven) {
      record_.email_reminders.given = v;
    } else if (field_ == kSmsRemindersGiven) {
      record_.sms_reminders.given = v;
    } else {
      return fail("unexpected boolean");
    }
    value_read();
  }

  template <typename... Value>
  static void refuse(void* context, Value...) {
    self(context).fail("unexpected item");
  }
  static cbor_callbacks callbacks() {
    cbor_callbacks c = cbor_empty_callbacks;
    c.uint8 = [](void* s, std::uint8_t v) { self(s).on_uint(v); };
    c.uint16 = [](void* s, std::uint16_t v) { self(s).on_uint(v); };
    c.uint32 = [](void* s, std::uint32_t v) { self(s).on_uint(v); };
    c.uint64 = [](void* s, std::uint64_t v) { self(s).on_uint(v); };
    c.string = [](void* s, cbor_data d, std::size_t n) { self(s).on_text(d, n); };
    c.map_start = [](void* s, std::size_t n) { self(s).on_map(n); };
    c.array_start = [](void* s, std::size_t n) { self(s).on_array(n); };
    c.boolean = [](void* s, bool v) { self(s).on_bool(v); };
    // Whatever encode_record does not write is an error.
    c.negint8 = refuse<std::uint8_t>;
    c.negint16 = refuse<std::uint16_t>;
    c.negint32 = refuse<std::uint32_t>;
    c.negint64 = refuse<std::uint64_t>;
    c.byte_string = refuse<cbor_data, std::size_t>;
    c.tag = refuse<std::uint64_t>;
    c.float2 = refuse<float>;
    c.float4 = refuse<float>;
    c.float8 = refuse<double>;
    c.byte_string_start = refuse<>;
    c.string_start = refuse<>;
    c.indef_array_start = refuse<>;
    c.indef_map_start = refuse<>;
    c.undefined = refuse<>;
    c.null = refuse<>;
    c.indef_break = refuse<>;
    return c;
  }
  static const cbor_callbacks kCallbacks;

  Record& record_;
  std::array<std::string*, 20> texts_;
  State state_ = State::start;
  std::size_t fields_left_ = 0;
  std::uint64_t field_ = 0;
  std::uint64_t last_field_ = 0;
  std::size_t phone_texts_left_ = 0;
  std::optional<std::string> error_;
};

const cbor_callbacks Reader::kCallbacks = Reader::callbacks();

}  // namespace

std::string encode_record(const Record& r) {
  const auto fields = texts(r);
  std::size_t count = 0;
  for (const auto* text : fields) count += text->empty() ? 0 : 1;
  count += (r.phones.empty() ? 0 : 1) + (r.email_reminders.given ? 1 : 0) +
           (r.sms_reminders.given ? 1 : 0);
  std::string out;
  out.reserve(256);
  put_head(out, cbor_encode_map_start, count);
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (fields[i]->empty()) continue;
    put_head(out, cbor_encode_uint, i + 1);
    put_text(out, *fields[i]);
  }
  if (!r.phones.empty()) {
    put_head(out, cbor_encode_uint, kPhones);
    put_head(out, cbor_encode_array_start, r.phones.size() * 2);
    for (const auto& phone : r.phones) {
      put_text(out, phone.kind);
      put_text(out, phone.number);
    }
  }
  for (auto [number, consent] : {std::pair{kEmailRemindersGiven, &r.email_reminders},
                                 std::pair{kSmsRemindersGiven, &r.sms_reminders}}) {
    if (!consent->given) continue;
    put_head(out, cbor_encode_uint, number);
    put_head(out, cbor_encode_bool, true);
  }
  return out;
}

core::Result<void> decode_record(std::string_view stored, Record& out) {
  if (stored.starts_with('{')) {
    // The JSON of earlier versions: parsed in a stack buffer, gone once read out.
    unsigned char buffer[8192];
    json::monotonic_resource scratch(buffer, sizeof buffer);
    boost::system::error_code ec;
    auto value = json::parse(stored, ec, &scratch);
    if (ec || !value.is_object()) {
      return core::fail(core::ErrorCode::internal, "", "patient record: not JSON");
    }
    out = record_from_json(value.as_object());
    return {};
  }
  out.address.country.clear();  // absent means empty, as in every other field
  out.language.clear();
  return Reader(out).read(stored);
}

}  // namespace praxis::patients
