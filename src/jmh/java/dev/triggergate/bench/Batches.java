package dev.triggergate.bench;

import io.vertx.core.buffer.Buffer;

/** Builds start_batch bodies of a given size, as a client would send them, for the benchmarks. */
final class Batches {
  private Batches() {}

  /** A JSON batch of {@code items} email items with token, trigger_id and matching. */
  static Buffer json(int items) {
    StringBuilder body = new StringBuilder(64 + items * 36);
    body.append("{\"token\":\"tok-bench\",\"trigger_id\":8,\"matching\":\"email\",\"data\":[");
    for (int i = 0; i < items; i++) {
      if (i > 0) {
        body.append(',');
      }
      body.append("{\"email\":\"user").append(i).append("@example.com\"}");
    }
    return Buffer.buffer(body.append("]}").toString());
  }

  /** The same batch in the XML form (SPEC §3): one {@code <data>} element per item. */
  static Buffer xml(int items) {
    StringBuilder body = new StringBuilder(96 + items * 48);
    body.append("<xml><token>tok-bench</token><trigger_id>8</trigger_id>")
        .append("<matching>email</matching>");
    for (int i = 0; i < items; i++) {
      body.append("<data><email>user").append(i).append("@example.com</email></data>");
    }
    return Buffer.buffer(body.append("</xml>").toString());
  }
}
