#include "practices/practice_service.hpp"

#include <gtest/gtest.h>

#include "support/service_fixture.hpp"

namespace praxis::practices {
namespace {

struct Fixture : test::ServiceFixture {
  audit::Trail trail{*keys, clock};
  PracticeService service() { return PracticeService(*store, *keys, trail, clock, random); }

  std::vector<store::WrappedKeyRow> key_rows() {
    std::vector<store::WrappedKeyRow> out;
    EXPECT_TRUE(store::with_transaction(*store, store::TxMode::read_only,
                                        [&](store::Transaction& tx) -> core::Result<void> {
                                          auto rows = tx.master_wrapped_keys().list();
                                          if (!rows) return tl::unexpected(rows.error());
                                          out = *rows;
                                          return {};
                                        }));
    return out;
  }
};

NewPractice valid() {
  NewPractice p;
  p.name = "  Praxis Dr. Müller ";
  p.slug = "mueller";
  p.state = "BY";
  p.bsnr = "190111100";
  p.postcode = "80331";
  p.city = "München";
  return p;
}

TEST(PracticeService, CreatesThePracticeTogetherWithItsKey) {
  Fixture f;
  auto svc = f.service();
  auto created = svc.create(audit::Context::system("test"), valid());
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_EQ(created->name, "Praxis Dr. Müller") << "trimmed";
  EXPECT_EQ(created->id.size(), 32u);
  EXPECT_EQ(created->created_at, "2026-12-23T04:26:40Z");
  auto listed = svc.list();
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front(), *created);

  const auto rows = f.key_rows();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].owner, "practice:" + created->id);
  const crypto::WrappedKey wrapped{rows[0].key_id, rows[0].version, rows[0].wrapping_key_id,
                                   rows[0].sealed};
  EXPECT_TRUE(f.keys->practice_key(created->id, wrapped));
  EXPECT_FALSE(f.keys->practice_key("another-practice", wrapped));
}

TEST(PracticeService, ReportsEveryFieldErrorAndCreatesNothing) {
  Fixture f;
  auto svc = f.service();
  NewPractice bad;
  bad.name = " ";
  bad.slug = "Ab";
  bad.kind = "klinik";
  bad.state = "Bayern";
  bad.bsnr = "12345678";
  bad.postcode = "1234";
  auto r = svc.create(audit::Context::system("test"), bad);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, core::ErrorCode::invalid_input);
  std::vector<std::string> fields;
  for (const auto& e : r.error().fields) fields.push_back(e.field);
  EXPECT_EQ(fields,
            (std::vector<std::string>{"name", "slug", "kind", "state", "bsnr", "postcode"}));
  EXPECT_TRUE(svc.list()->empty());
  EXPECT_TRUE(f.key_rows().empty());
}

TEST(PracticeService, ATakenSlugIsAConflictOnTheSlugField) {
  Fixture f;
  auto svc = f.service();
  ASSERT_TRUE(svc.create(audit::Context::system("test"), valid()));
  auto again = svc.create(audit::Context::system("test"), valid());
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, core::ErrorCode::conflict);
  ASSERT_EQ(again.error().fields.size(), 1u);
  EXPECT_EQ(again.error().fields[0].field, "slug");
  EXPECT_EQ(svc.list()->size(), 1u);
  EXPECT_EQ(f.key_rows().size(), 1u) << "no orphan key for the refused practice";
}

}  // namespace
}  // namespace praxis::practices
