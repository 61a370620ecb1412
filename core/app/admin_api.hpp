#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/gateway_config.hpp"
#include "pipeline/exchange.hpp"

namespace memolib::core {

class BatchWriter;
class Database;
class DashboardStats;
class StorageProbe;
struct QuarantineSummary;
struct SpoolSummary;
class WorkerThread;

/// Tells QuarantinePending when the channel's oldest pending entry arrived, as the table says
/// (the first pending one by id). Throws StorageError.
void refresh_quarantine_oldest(Database& db, const std::string& channel);

/// What a reload did.
struct ReloadOutcome {
    bool ok = false;
    std::uint64_t generation = 0;
    /// Validation problems ("file:line:col: key '…': problem") of a refused reload.
    std::vector<std::string> errors;
    /// Changed settings that only a restart applies (they keep their running values).
    std::vector<std::string> restart_required;
    /// Plugin name → the file serving it, after a reload that took.
    std::vector<std::pair<std::string, std::string>> plugins;
    /// Files set aside because a file dropped in took their plugin name, with the reason.
    std::vector<std::pair<std::string, std::string>> set_aside;
};

/// The operator's side of the HTTP API: /ready, /dashboard and its JSON, the read API
/// (/api/messages), the quarantine (/api/quarantine) and POST /api/admin/reload
/// (app/route_table.cpp says which runs where). Database reads and reloads run on one worker thread
/// of its own, never on an I/O thread; /ready on another, where it waits a bounded time for a
/// storage probe, so that it answers even while the storage hangs.
class AdminApi {
public:
    using Reload = std::function<ReloadOutcome(const std::string& trigger)>;

    AdminApi(StorageConfig storage, BatchWriter& writer, DashboardStats& stats, Reload reload);
    ~AdminApi();
    AdminApi(const AdminApi&) = delete;
    AdminApi& operator=(const AdminApi&) = delete;

    /// Answers a request the router matched to one of the operator's routes, on the thread
    /// its route names; `done` runs once, possibly on a worker thread.
    void handle(const std::shared_ptr<Exchange>& ex, std::function<void()> done);
    /// Reloads on the worker thread (SIGHUP), after whatever it is doing.
    void reload_in_background(const std::string& trigger);
    /// Finishes the worker's tasks and joins it. Called once the server has stopped and
    /// before it is destroyed: a task may hold the last reference to a connection, which
    /// must not outlive the server's io_context.
    void stop();

private:
    void answer(Exchange& ex);
    void ready(Exchange& ex);
    /// The spool's state as the dashboard and /ready show it; nullopt without a spool.
    std::optional<SpoolSummary> spool_summary() const;
    /// Where a read of messages goes, as the request's `source` says.
    struct MessageSource;
    /// Reads the request's `source` (the storage by default, or this instance's spool) into
    /// `out`; false once it has answered `ex` 400 (an unknown source, or no spool).
    bool choose_source(Exchange& ex, MessageSource& out);
    /// Opens the chosen source (the spool file for this request alone); false once it has
    /// answered `ex` 503.
    bool open_source(Exchange& ex, MessageSource& out);
    /// Answers a read of `source` that failed (503); a failed storage connection is dropped.
    void source_failed(Exchange& ex, const MessageSource& source, const std::string& error);
    void list_messages(Exchange& ex);
    void get_message(Exchange& ex, const std::string& id);
    void reload(Exchange& ex);
    /// The dashboard's per-channel pending count and oldest age, from QuarantinePending.
    static std::map<std::string, QuarantineSummary> quarantine_summaries();
    /// Reads the pending counts and oldest arrivals from the table again (worker thread):
    /// an entry found no longer pending was moved by another instance, whose counts these
    /// are not.
    void resync_quarantine();
    void list_quarantine(Exchange& ex);
    /// GET shows the entry with its raw request; DELETE discards it (pending → discarded).
    void quarantine_entry(Exchange& ex, const std::string& id);
    /// Runs the entry's request through the pipeline again (its current plugin, without
    /// verify); calls `done` once answered, possibly on the storage writer's thread.
    void reprocess(const std::shared_ptr<Exchange>& ex, std::function<void()> done);
    /// The worker's connection, opened on first use; nullptr (and `error` set) when it cannot.
    Database* database(std::string& error);

    StorageConfig storage_;
    BatchWriter& writer_;
    DashboardStats& stats_;
    Reload reload_;
    std::unique_ptr<Database> db_;
    std::unique_ptr<StorageProbe> probe_;
    // Last members: destroyed first, so queued tasks finish while the rest is alive.
    std::unique_ptr<WorkerThread> ready_worker_;
    std::unique_ptr<WorkerThread> worker_;
};

}  // namespace memolib::core
