package dev.triggergate.engine.memory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The memory engine's record of launches: a bounded ring, oldest entries dropped first. Launches
 * are recorded one batch at a time; reading takes no lock, so a query over a large ring never holds
 * launches up (one running while launches arrive may see the oldest entries it reaches replaced).
 */
public final class Journal {
  /**
   * One launch of a trigger for a profile.
   *
   * @param timeMillis when, in milliseconds since the epoch
   */
  public record Launch(long triggerId, String profileId, long timeMillis, String requestId) {}

  private final AtomicReferenceArray<Launch> ring;
  private final Map<Long, Long> perTrigger = new HashMap<>();
  private volatile long total;

  /**
   * @param capacity how many launches are kept; 0 keeps none but still counts them
   */
  public Journal(int capacity) {
    this.ring = new AtomicReferenceArray<>(capacity);
  }

  synchronized void record(long triggerId, List<String> profileIds, String requestId) {
    if (profileIds.isEmpty()) {
      return;
    }
    long now = System.currentTimeMillis();
    long next = total;
    for (String profileId : profileIds) {
      if (ring.length() > 0) {
        ring.set((int) (next % ring.length()), new Launch(triggerId, profileId, now, requestId));
      }
      next++;
    }
    total = next;
    perTrigger.merge(triggerId, (long) profileIds.size(), Long::sum);
  }

  /** Launches per trigger since start (or the last reset), including those no longer held. */
  public synchronized Map<Long, Long> countsPerTrigger() {
    return new TreeMap<>(perTrigger);
  }

  /** Forgets every launch and count. */
  public synchronized void reset() {
    for (int i = 0; i < ring.length(); i++) {
      ring.set(i, null);
    }
    perTrigger.clear();
    total = 0;
  }

  /**
   * The held launches that match, newest first, at most {@code limit}.
   *
   * @param triggerId only this trigger, or null
   * @param profileId only this profile, or null
   * @param requestId only this request id, or null
   * @param sinceMillis only at or after this time, or null
   * @param untilMillis only before this time, or null
   */
  public List<Launch> find(
      Long triggerId,
      String profileId,
      String requestId,
      Long sinceMillis,
      Long untilMillis,
      int limit) {
    List<Launch> out = new ArrayList<>();
    long end = total;
    int held = (int) Math.min(end, ring.length());
    for (long i = end - 1; i >= end - held && out.size() < limit; i--) {
      Launch launch = ring.get((int) (i % ring.length()));
      if (launch != null
          && (triggerId == null || launch.triggerId() == triggerId)
          && (profileId == null || profileId.equals(launch.profileId()))
          && (requestId == null || requestId.equals(launch.requestId()))
          && (sinceMillis == null || launch.timeMillis() >= sinceMillis)
          && (untilMillis == null || launch.timeMillis() < untilMillis)) {
        out.add(launch);
      }
    }
    return out;
  }

  /** Every launch since start, including those the ring no longer holds. */
  public long total() {
    return total;
  }

  /** The launches still held, oldest first. */
  public List<Launch> entries() {
    long end = total;
    int held = (int) Math.min(end, ring.length());
    List<Launch> out = new ArrayList<>(held);
    for (long i = end - held; i < end; i++) {
      Launch launch = ring.get((int) (i % ring.length()));
      if (launch != null) {
        out.add(launch);
      }
    }
    return out;
  }
}
