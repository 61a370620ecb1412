#include "pipeline/pipeline.hpp"

#include <boost/test/unit_test.hpp>

using namespace memolib::core;

namespace {

// A stage that writes its name into a shared trace at each step and answers as it is told.
class TraceStage final : public Stage {
public:
    TraceStage(const char* name, std::vector<std::string>& trace,
               StageResult result = StageResult::kContinue)
        : name_(name), trace_(trace), result_(result) {}
    const char* name() const override { return name_; }
    StageResult on_headers(Exchange&) const override {
        trace_.push_back(std::string("headers:") + name_);
        return StageResult::kContinue;
    }
    StageResult process(Exchange& ex, const Resume& resume) const override {
        trace_.push_back(name_);
        if (result_ == StageResult::kRespond) ex.status = 418;
        if (result_ == StageResult::kSuspend) suspended = std::make_unique<Resume>(resume);
        return result_;
    }
    void on_complete(const Exchange&) const override {
        trace_.push_back(std::string("complete:") + name_);
    }
    mutable std::unique_ptr<Resume> suspended;

private:
    const char* name_;
    std::vector<std::string>& trace_;
    StageResult result_;
};

std::vector<std::unique_ptr<Stage>> traced(const std::vector<const char*>& names,
                                           std::vector<std::string>& trace) {
    std::vector<std::unique_ptr<Stage>> out;
    for (const char* name : names) out.push_back(std::make_unique<TraceStage>(name, trace));
    return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(pipeline)

BOOST_AUTO_TEST_CASE(the_steps_run_in_the_order_given_and_nothing_else_runs) {
    std::vector<std::string> trace;
    // Replay and sender_rate_limit are steps of their own: nothing is woven around parse.
    const Pipeline p(traced({"size_limit", "rate_limit", "verify", "replay", "parse",
                             "sender_rate_limit", "enrich", "dedup", "cache", "persist"},
                            trace));
    auto ex = std::make_shared<Exchange>();
    BOOST_TEST(p.run_headers(*ex));
    int done = 0;
    p.run(ex, [&done] { ++done; });
    BOOST_TEST(done == 1);
    BOOST_TEST(ex->status == 0);
    const std::vector<std::string> expected = {"headers:size_limit",
                                               "headers:rate_limit",
                                               "headers:verify",
                                               "headers:replay",
                                               "headers:parse",
                                               "headers:sender_rate_limit",
                                               "headers:enrich",
                                               "headers:dedup",
                                               "headers:cache",
                                               "headers:persist",
                                               "size_limit",
                                               "rate_limit",
                                               "verify",
                                               "replay",
                                               "parse",
                                               "sender_rate_limit",
                                               "enrich",
                                               "dedup",
                                               "cache",
                                               "persist"};
    BOOST_TEST(trace == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_stage_that_answers_ends_the_run_and_every_stage_hears_the_answer) {
    std::vector<std::string> trace;
    std::vector<std::unique_ptr<Stage>> stages = traced({"verify"}, trace);
    stages.push_back(std::make_unique<TraceStage>("replay", trace, StageResult::kRespond));
    stages.push_back(std::make_unique<TraceStage>("parse", trace));
    const Pipeline p(std::move(stages));
    auto ex = std::make_shared<Exchange>();
    int done = 0;
    p.run(ex, [&done] { ++done; });
    BOOST_TEST(done == 1);
    BOOST_TEST(ex->status == 418);
    p.complete(*ex);
    const std::vector<std::string> expected = {"verify", "replay", "complete:verify",
                                               "complete:replay", "complete:parse"};
    BOOST_TEST(trace == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_suspended_stage_resumes_with_the_next_step_once) {
    std::vector<std::string> trace;
    std::vector<std::unique_ptr<Stage>> stages = traced({"dedup"}, trace);
    auto persist = std::make_unique<TraceStage>("persist", trace, StageResult::kSuspend);
    const TraceStage& suspending = *persist;
    stages.push_back(std::move(persist));
    stages.push_back(std::make_unique<TraceStage>("after", trace));
    const Pipeline p(std::move(stages));
    auto ex = std::make_shared<Exchange>();
    int done = 0;
    p.run(ex, [&done] { ++done; });
    BOOST_TEST(done == 0);
    BOOST_REQUIRE(suspending.suspended);
    (*suspending.suspended)(StageResult::kContinue);
    BOOST_TEST(done == 1);
    // A second resume (a stage that misbehaves) does not answer twice.
    (*suspending.suspended)(StageResult::kRespond);
    BOOST_TEST(done == 1);
    const std::vector<std::string> expected = {"dedup", "persist", "after"};
    BOOST_TEST(trace == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()
