package dev.triggergate.engine;

import dev.triggergate.api.ResponseFormat;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;

/**
 * One validated start_batch request: what the engines need, decoded once.
 *
 * @param requestId the request id (the client's or the gateway's)
 * @param token the token found in the body, the {@code Authorization} header or the query
 * @param triggerId the trigger mailing to launch
 * @param matching how each item finds its profile
 * @param fieldName the custom field for {@code custom} and {@code custom_sub}, else null
 * @param items the {@code data} items, each a JSON object
 * @param format the format the answer is wanted in
 * @param body the exact bytes that were validated, for forwarding
 * @param contentType the request's content type, for forwarding
 * @param origin the request line, headers and client, for forwarding
 */
public record StartBatch(
    String requestId,
    String token,
    long triggerId,
    Matching matching,
    String fieldName,
    JsonArray items,
    ResponseFormat format,
    Buffer body,
    String contentType,
    Origin origin) {

  public int itemCount() {
    return items.size();
  }

  /**
   * Whether the client named the request id: only such an id can come again, so only it is worth
   * remembering for de-duplication.
   */
  public boolean requestIdFromClient() {
    if (origin == null) {
      return false;
    }
    MultiMap headers = origin.headers();
    return requestId.equals(headers.get("Request-ID"))
        || requestId.equals(headers.get("X-Request-ID"));
  }
}
