#include <algorithm>

#include "stages/stages.hpp"
#include "storage/batch_writer.hpp"

namespace memolib::core {

namespace {

bool pending(const NormalizedMessage& m) { return m.status == NormalizedMessage::Status::kPending; }

// Hands the messages to the group-commit writer and resumes only after their COMMIT, so a
// 2xx always means stored. A dry run stores nothing; duplicates the dedup index already knows
// are not sent again.
class PersistStage final : public Stage {
public:
    PersistStage(BatchWriter& writer, DedupIndex* index) : writer_(writer), index_(index) {}
    const char* name() const override { return "persist"; }

    StageResult on_headers(Exchange& ex) const override {
        if (!ex.dry_run) ex.store_arrival = writer_.announce();
        return StageResult::kContinue;
    }

    StageResult process(Exchange& ex, const Resume& resume) const override {
        // Taken here, so that a request with nothing to store stops being awaited now.
        std::shared_ptr<StoreArrival> arrival = std::move(ex.store_arrival);
        // A re-processing commits the entry's state change even with nothing new to store.
        if (ex.dry_run || (ex.reprocess_quarantine_id == 0 &&
                           std::none_of(ex.messages.begin(), ex.messages.end(), pending))) {
            return StageResult::kContinue;
        }
        // The resume closure owns the exchange: holding it keeps the exchange alive until done.
        auto owner = std::make_shared<Resume>(resume);
        StoreJob job;
        job.messages = &ex.messages;
        job.raw_payload = &ex.body;
        job.content_type = &ex.content_type;
        job.owner = owner;
        job.arrival = std::move(arrival);
        job.reprocess_quarantine_id = ex.reprocess_quarantine_id;
        job.reprocessed = &ex.reprocessed;
        Exchange* exp = &ex;
        DedupIndex* index = index_;
        job.done = [owner, exp, index](StoreOutcome outcome, const std::string&) {
            // Runs on the request's own thread: the writer, which every request waits for,
            // only hands the outcome over.
            auto finish = [owner, exp, index, outcome] {
                if (outcome == StoreOutcome::kCommitted && exp->reprocess_quarantine_id != 0 &&
                    !exp->reprocessed) {
                    exp->fail(409, "not_pending",
                              "the quarantine entry was re-processed or discarded meanwhile; "
                              "nothing was stored");
                    (*owner)(StageResult::kRespond);
                    return;
                }
                if (outcome == StoreOutcome::kCommitted) {
                    if (index != nullptr) {
                        for (const NormalizedMessage& m : exp->messages) {
                            index->put(m.dedup_key, m.id);
                        }
                    }
                    (*owner)(StageResult::kContinue);
                    return;
                }
                if (outcome == StoreOutcome::kSpooled) {
                    (*owner)(StageResult::kContinue);
                    return;
                }
                fail_storage(*exp, outcome, "message");
                (*owner)(StageResult::kRespond);
            };
            exp->on_own_thread(finish);
        };
        writer_.submit(std::move(job));
        return StageResult::kSuspend;
    }

private:
    BatchWriter& writer_;
    DedupIndex* index_;
};

}  // namespace

void fail_storage(Exchange& ex, StoreOutcome outcome, const char* what) {
    if (outcome == StoreOutcome::kSpoolFull || outcome == StoreOutcome::kUnavailable) {
        // Both go away by themselves: the provider is told when to try again.
        if (outcome == StoreOutcome::kSpoolFull) {
            ex.fail(503, "spool_full",
                    "the storage is unavailable and the local spool is full; retry later "
                    "(nothing was stored)");
        } else {
            ex.fail(503, "storage_unavailable",
                    "storage is unavailable; retry later (nothing was stored)");
        }
        ex.response_headers.emplace_back("Retry-After", "5");
        return;
    }
    ex.fail(
        500, "storage_error",
        std::string("storage refused the ") + what + "; quote the request id when reporting it");
}

std::unique_ptr<Stage> PersistFactory::make(const ConfigValue&, const StageContext& context) const {
    if (context.writer == nullptr) return nullptr;
    return std::make_unique<PersistStage>(
        *context.writer, context.state != nullptr ? context.state->dedup_index.get() : nullptr);
}

}  // namespace memolib::core
