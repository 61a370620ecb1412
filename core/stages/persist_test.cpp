#include <boost/test/unit_test.hpp>

#include "stages/stages.hpp"
#include "stages/test_config.hpp"
#include "storage/batch_writer.hpp"

using namespace memolib::core;

BOOST_AUTO_TEST_SUITE(persist_stage)

// A writer that is never started: anything handed to it would never be answered, so a
// request that goes on without suspending was not handed to it.
BOOST_AUTO_TEST_CASE(a_dry_run_and_a_request_of_duplicates_go_on_without_the_writer) {
    BatchWriter writer(StorageConfig{}, RetryPolicy{});
    StageState state;
    const auto stage =
        PersistFactory().make(validated_pipeline(), StageContext{&writer, nullptr, &state});

    Exchange dry;
    dry.dry_run = true;
    dry.messages.emplace_back();
    BOOST_TEST((stage->on_headers(dry) == StageResult::kContinue));
    BOOST_TEST(!dry.store_arrival);
    BOOST_TEST((stage->process(dry, Resume(nullptr, 0)) == StageResult::kContinue));

    Exchange duplicates;
    duplicates.messages.emplace_back();
    duplicates.messages.back().status = NormalizedMessage::Status::kDuplicate;
    BOOST_TEST((stage->on_headers(duplicates) == StageResult::kContinue));
    BOOST_TEST((stage->process(duplicates, Resume(nullptr, 0)) == StageResult::kContinue));
    // The arrival announced at the headers is let go once there is nothing to store.
    BOOST_TEST(!duplicates.store_arrival);
}

BOOST_AUTO_TEST_SUITE_END()
