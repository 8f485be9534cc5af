// TaskPool: a ready queue and a timer map under one mutex; idle threads wait for the earlier
// of a post and the next timer. Activity: a small state machine (idle, queued, running,
// running with another run asked for) shared with the tasks it posts, so a task that fires after
// Stop finds the activity stopped instead of a destroyed owner.
#include "common/task_pool.h"

#include <pthread.h>

namespace hydrant {

TaskPool::TaskPool(int threads, std::string name, std::function<void()> on_start) : name_(std::move(name)) {
  for (int i = 0; i < std::max(threads, 1); ++i) {
    threads_.emplace_back([this, i, on_start] {
      if (on_start) on_start();
      Work(i);
    });
  }
}

TaskPool::~TaskPool() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    timed_.clear();
    timer_by_id_.clear();
  }
  cv_.notify_all();
  for (std::thread& t : threads_) t.join();
}

void TaskPool::Post(std::function<void()> task) {
  {
    std::lock_guard lock(mu_);
    ready_.push_back(std::move(task));
  }
  cv_.notify_one();
}

uint64_t TaskPool::PostAt(SteadyTime when, std::function<void()> task) {
  uint64_t id;
  bool earliest;
  {
    std::lock_guard lock(mu_);
    id = next_id_++;
    auto it = timed_.emplace(when, std::make_pair(id, std::move(task)));
    timer_by_id_.emplace(id, it);
    earliest = it == timed_.begin();
  }
  // A thread waiting for a later timer must see the earlier one.
  if (earliest) cv_.notify_one();
  return id;
}

void TaskPool::Cancel(uint64_t id) {
  std::lock_guard lock(mu_);
  auto it = timer_by_id_.find(id);
  if (it == timer_by_id_.end()) return;  // started already
  timed_.erase(it->second);
  timer_by_id_.erase(it);
}

void TaskPool::Work(size_t index) {
  const std::string thread_name = (name_ + std::to_string(index)).substr(0, 15);
  pthread_setname_np(pthread_self(), thread_name.c_str());
  std::unique_lock lock(mu_);
  for (;;) {
    const SteadyTime now = std::chrono::steady_clock::now();
    while (!timed_.empty() && timed_.begin()->first <= now) {
      timer_by_id_.erase(timed_.begin()->second.first);
      ready_.push_back(std::move(timed_.begin()->second.second));
      timed_.erase(timed_.begin());
    }
    if (!ready_.empty()) {
      std::function<void()> task = std::move(ready_.front());
      ready_.pop_front();
      if (!ready_.empty()) cv_.notify_one();
      lock.unlock();
      task();
      lock.lock();
      continue;
    }
    if (stopping_) return;
    if (timed_.empty()) {
      cv_.wait(lock);
    } else {
      // A copy: the timer may be cancelled (its node freed) while this thread waits.
      const SteadyTime next = timed_.begin()->first;
      cv_.wait_until(lock, next);
    }
  }
}

struct Activity::State {
  TaskPool* pool;
  std::function<void()> body;
  std::mutex mu;
  std::condition_variable idle;
  bool queued = false;    // a run is posted and has not started
  bool running = false;
  bool again = false;     // woken while running: run once more
  bool stopped = false;
  uint64_t timer = 0;     // the pending WakeAt's task id, 0 = none
  SteadyTime timer_at{};
};

Activity::Activity(TaskPool* pool, std::function<void()> body) : state_(std::make_shared<State>()) {
  state_->pool = pool;
  state_->body = std::move(body);
}

Activity::~Activity() { Stop(); }

void Activity::Wake() {
  std::shared_ptr<State> s = state_;
  std::lock_guard lock(s->mu);
  if (s->stopped || s->queued) return;
  if (s->running) {
    s->again = true;
    return;
  }
  s->queued = true;
  s->pool->Post([s] { Run(s); });
}

void Activity::WakeAt(SteadyTime when) {
  std::shared_ptr<State> s = state_;
  std::lock_guard lock(s->mu);
  if (s->stopped) return;
  if (s->timer != 0) {
    if (s->timer_at <= when) return;
    s->pool->Cancel(s->timer);
  }
  s->timer_at = when;
  s->timer = s->pool->PostAt(when, [s] {
    {
      std::lock_guard lock(s->mu);
      s->timer = 0;
      if (s->stopped || s->queued) return;
      if (s->running) {
        s->again = true;
        return;
      }
      s->queued = true;
    }
    Run(s);
  });
}

void Activity::Run(const std::shared_ptr<State>& s) {
  {
    std::lock_guard lock(s->mu);
    s->queued = false;
    if (s->stopped) {
      s->idle.notify_all();
      return;
    }
    s->running = true;
  }
  for (;;) {
    s->body();
    std::lock_guard lock(s->mu);
    if (s->again && !s->stopped) {
      s->again = false;
      continue;
    }
    s->running = false;
    s->idle.notify_all();
    return;
  }
}

void Activity::Stop() {
  std::unique_lock lock(state_->mu);
  state_->stopped = true;
  if (state_->timer != 0) {
    state_->pool->Cancel(state_->timer);
    state_->timer = 0;
  }
  state_->idle.wait(lock, [&] { return !state_->running; });
}

}  // namespace hydrant
