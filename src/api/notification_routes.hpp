#pragma once
// Staff routes of notifications (issue #11): the practice's outbox with its dead letters
// (appointment roles), sending a dead message again, and the owner's message templates
// with a preview and the practice's notification settings.

#include "http/router.hpp"
#include "notify/notifier.hpp"

namespace praxis::api {

void add_notification_routes(http::Router& router, notify::Notifier& notifier);

}  // namespace praxis::api
