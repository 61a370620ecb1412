#include "stages/stages.hpp"
#include "storage/batch_writer.hpp"

namespace memolib::core {

namespace {

// Hands the messages to the group-commit writer and resumes only after their COMMIT, so a
// 2xx always means stored. A dry run stores nothing.
class PersistStage final : public Stage {
public:
    explicit PersistStage(BatchWriter& writer) : writer_(writer) {}
    const char* name() const override { return "persist"; }

    StageResult process(Exchange& ex, const Resume& resume) const override {
        if (ex.dry_run || ex.messages.empty()) return StageResult::kContinue;
        // The exchange is owned by the pipeline's resume closure; keep it until done runs.
        auto owner = std::make_shared<Resume>(resume);
        StoreJob job;
        job.messages = &ex.messages;
        job.raw_payload = &ex.body;
        job.content_type = &ex.content_type;
        job.owner = owner;
        Exchange* exp = &ex;
        job.done = [owner, exp](StoreOutcome outcome, const std::string&) {
            Exchange& e = *exp;
            auto finish = [owner, exp, outcome] {
                if (outcome == StoreOutcome::kCommitted) {
                    (*owner)(StageResult::kContinue);
                    return;
                }
                if (outcome == StoreOutcome::kUnavailable) {
                    exp->fail(503, "storage_unavailable",
                              "storage is unavailable; retry later (nothing was stored)");
                    exp->response_headers.emplace_back("Retry-After", "5");
                } else {
                    exp->fail(
                        500, "storage_error",
                        "storage refused the message; quote the request id when reporting it");
                }
                (*owner)(StageResult::kRespond);
            };
            if (e.dispatch)
                e.dispatch(finish);
            else
                finish();
        };
        writer_.submit(std::move(job));
        return StageResult::kSuspend;
    }

private:
    BatchWriter& writer_;
};

}  // namespace

std::unique_ptr<Stage> make_persist_stage(BatchWriter& writer) {
    return std::make_unique<PersistStage>(writer);
}

}  // namespace memolib::core
