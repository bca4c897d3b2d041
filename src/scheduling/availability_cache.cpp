#include "scheduling/availability_cache.hpp"

#include <algorithm>

namespace praxis::scheduling {

std::pair<std::size_t, std::size_t> FreeStarts::current(Instant now) const {
  const Instant earliest = now + min_notice;
  const Instant latest = now + horizon;
  auto by_start = [](const Slot& s, Instant t) { return s.start < t; };
  const auto first = std::lower_bound(slots.begin(), slots.end(), earliest, by_start);
  const auto last = std::lower_bound(first, slots.end(), latest, by_start);
  return {static_cast<std::size_t>(first - slots.begin()),
          static_cast<std::size_t>(last - slots.begin())};
}

std::string_view FreeStarts::joined(std::size_t first, std::size_t last,
                                    const Render& render) const {
  std::call_once(rendered_, [&] {
    text_at_.reserve(slots.size() + 1);
    for (const auto& slot : slots) {
      if (!text_.empty()) text_ += ',';
      text_at_.push_back(text_.size());
      render(text_, slot);
    }
    text_at_.push_back(text_.size());
  });
  if (first >= last) return {};
  const std::size_t end = last == slots.size() ? text_.size() : text_at_[last] - 1;
  return std::string_view(text_).substr(text_at_[first], end - text_at_[first]);
}

std::uint64_t AvailabilityCache::sequence(std::string_view practice_id) {
  std::lock_guard lock(mutex_);
  auto it = logs_.find(std::string(practice_id));
  return it == logs_.end() ? 0 : it->second.sequence;
}

bool AvailabilityCache::untouched(const Log& log, const FreeStarts& entry, std::uint64_t since) {
  if (log.sequence == since) return true;
  // Changes after `since` that the log no longer holds: nothing can be said.
  if (log.recent.empty() || log.recent.front().sequence > since + 1) return false;
  for (auto it = log.recent.rbegin(); it != log.recent.rend() && it->sequence > since; ++it) {
    if (it->to <= entry.window_from || it->from >= entry.window_to) continue;
    if (it->owners.empty()) return false;
    for (const auto& owner : it->owners) {
      if (std::find(entry.owners.begin(), entry.owners.end(), owner) != entry.owners.end()) {
        return false;
      }
    }
  }
  return true;
}

std::shared_ptr<const FreeStarts> AvailabilityCache::find(
    const std::string& key, const void* snapshot, std::chrono::steady_clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto found = index_.find(key);
  if (found == index_.end()) return nullptr;
  auto node = found->second;
  if (node->entry->snapshot.get() != snapshot || now - node->loaded >= kTtl ||
      !untouched(*node->log, *node->entry, node->checked)) {
    erase(node);
    return nullptr;
  }
  node->checked = node->log->sequence;
  lru_.splice(lru_.begin(), lru_, node);
  return node->entry;
}

void AvailabilityCache::put(std::string_view practice_id, const std::string& key,
                            std::shared_ptr<const FreeStarts> entry, std::uint64_t sequence,
                            std::chrono::steady_clock::time_point now) {
  std::lock_guard lock(mutex_);
  if (entry->slots.size() > max_slots_) return;
  // Node-based map: the log stays where it is for the cache's lifetime.
  const Log& log = logs_[std::string(practice_id)];
  if (!untouched(log, *entry, sequence)) return;  // already out of date
  if (auto old = index_.find(key); old != index_.end()) erase(old->second);
  slots_ += entry->slots.size();
  lru_.push_front(Node{key, std::move(entry), &log, log.sequence, now});
  index_.emplace(key, lru_.begin());
  while (slots_ > max_slots_ && !lru_.empty()) erase(std::prev(lru_.end()));
}

void AvailabilityCache::changed(std::string_view practice_id, std::vector<std::string> owners,
                                std::int64_t from, std::int64_t to) {
  std::lock_guard lock(mutex_);
  auto& log = logs_[std::string(practice_id)];
  log.recent.push_back(Change{++log.sequence, std::move(owners), from, to});
  if (log.recent.size() > kLogSize) log.recent.pop_front();
}

void AvailabilityCache::erase(std::list<Node>::iterator it) {
  slots_ -= it->entry->slots.size();
  index_.erase(it->key);
  lru_.erase(it);
}

std::size_t AvailabilityCache::size() const {
  std::lock_guard lock(mutex_);
  return lru_.size();
}

std::size_t AvailabilityCache::slots_held() const {
  std::lock_guard lock(mutex_);
  return slots_;
}

}  // namespace praxis::scheduling
