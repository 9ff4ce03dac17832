package dev.triggergate.engine.memory;

import java.util.ArrayList;
import java.util.List;

/** The memory engine's record of launches: a bounded ring, oldest entries dropped first. */
public final class Journal {
  /**
   * One launch of a trigger for a profile.
   *
   * @param timeMillis when, in milliseconds since the epoch
   */
  public record Launch(long triggerId, String profileId, long timeMillis, String requestId) {}

  private final Launch[] ring;
  private long total;

  /**
   * @param capacity how many launches are kept; 0 keeps none but still counts them
   */
  public Journal(int capacity) {
    this.ring = new Launch[capacity];
  }

  synchronized void record(long triggerId, List<String> profileIds, String requestId) {
    long now = System.currentTimeMillis();
    for (String profileId : profileIds) {
      if (ring.length > 0) {
        ring[(int) (total % ring.length)] = new Launch(triggerId, profileId, now, requestId);
      }
      total++;
    }
  }

  /** Every launch since start, including those the ring no longer holds. */
  public synchronized long total() {
    return total;
  }

  /** The launches still held, oldest first. */
  public synchronized List<Launch> entries() {
    int held = (int) Math.min(total, ring.length);
    List<Launch> out = new ArrayList<>(held);
    for (long i = total - held; i < total; i++) {
      out.add(ring[(int) (i % ring.length)]);
    }
    return out;
  }
}
