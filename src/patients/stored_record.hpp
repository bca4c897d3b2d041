#pragma once
// The patient record as its ciphertext holds it (`patients.record`, DESIGN.md §3).
//
// CBOR (RFC 8949, libcbor): one map from a field's number to its value, with only the
// fields that have one — no empty texts, no phone list without phones, no consent not
// given. Texts are UTF-8 strings, a consent's "given" a boolean, the phones one array of
// kind, number, kind, number… A search decrypts and reads twenty of these per page:
// against the JSON document this replaced (every field, empty ones too), a typical record
// is less than a third of the size and read in about a third of the time
// (docs/benchmarks.md). Records written as JSON by earlier versions are still read.
//
// The numbers are part of the stored format: never reuse or renumber one.

#include <string>
#include <string_view>

#include "core/error.hpp"
#include "patients/record.hpp"

namespace praxis::patients {

std::string encode_record(const Record& r);

// Reads what encode_record wrote, or a JSON record of an earlier version (it starts with
// "{"), into `out` (a default Record: a search fills its hits in place). Anything else —
// unknown field numbers, a value of the wrong type, bytes left over — is an internal
// error: the ciphertext was authenticated, so it is a bug or a record of a newer version,
// and reading on would drop fields a later write loses.
core::Result<void> decode_record(std::string_view stored, Record& out);

}  // namespace praxis::patients
