package dev.triggergate.intake;

import dev.triggergate.api.ApiError;
import dev.triggergate.api.ErrorCode;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The body bytes all requests may hold at once ({@code limits.max_in_flight_bytes}), shared by
 * every event loop: a flood of large bodies is refused with 503 instead of exhausting the heap.
 */
final class BodyBudget {
  private final long max;
  private final AtomicLong held = new AtomicLong();

  BodyBudget(long max) {
    this.max = max;
  }

  /**
   * Takes {@code bytes} from the budget.
   *
   * @throws ApiError 503 when the bodies already in flight leave too little
   */
  void take(long bytes) {
    long now;
    do {
      now = held.get();
      if (now + bytes > max) {
        throw ApiError.of(
                ErrorCode.SERVICE_UNAVAILABLE,
                "overloaded: request bodies in flight hold "
                    + now
                    + " of "
                    + max
                    + " bytes; this one needs "
                    + bytes
                    + " more")
            .withHeaders(Map.of("Retry-After", "1"));
      }
    } while (!held.compareAndSet(now, now + bytes));
  }

  void give(long bytes) {
    held.addAndGet(-bytes);
  }
}
