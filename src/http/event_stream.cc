#include "http/event_stream.h"

namespace medic::http {

EventStream::EventStream(size_t max_messages, size_t max_bytes)
    : max_messages_(max_messages == 0 ? 1 : max_messages), max_bytes_(max_bytes) {}

EventStream::~EventStream() = default;

bool EventStream::send(std::string text) {
  if (closed_) return false;
  if (queue_.size() >= max_messages_ || bytes_ + text.size() > max_bytes_) {
    overflowed_ = true;
    queue_.clear();
    bytes_ = 0;
    auto abort = abort_;
    finish();
    if (abort) abort();
    return false;
  }
  bytes_ += text.size();
  queue_.push_back(std::move(text));
  if (wake_) {
    auto wake = wake_;
    wake();
  }
  return true;
}

void EventStream::close() {
  if (closed_) return;
  finish();
  if (wake_) {
    auto wake = wake_;
    wake();
  }
}

void EventStream::finish() {
  closed_ = true;
  auto callbacks = std::move(on_close_);
  on_close_.clear();
  for (auto& fn : callbacks) fn();
}

void EventStream::onClose(std::function<void()> fn) {
  if (closed_) {
    fn();
    return;
  }
  on_close_.push_back(std::move(fn));
}

void EventStream::attach(std::function<void()> wake, std::function<void()> abort) {
  wake_ = std::move(wake);
  abort_ = std::move(abort);
}

void EventStream::detach() {
  wake_ = nullptr;
  abort_ = nullptr;
}

std::string EventStream::take() {
  std::string out;
  out.reserve(bytes_);
  for (auto& s : queue_) out += s;
  queue_.clear();
  bytes_ = 0;
  return out;
}

}  // namespace medic::http
