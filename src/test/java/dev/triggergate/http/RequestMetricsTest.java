package dev.triggergate.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.triggergate.TestGateway;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import org.junit.jupiter.api.Test;

/** What /metrics says about the requests served (SPEC §8), series by series. */
class RequestMetricsTest {
  private static final String BATCH =
      "{\"token\":\"t\",\"trigger_id\":8,\"data\":[{\"email\":\"anna@example.com\"},"
          + "{\"email\":\"nobody@example.com\"}]}";
  private static final String MALFORMED = "{\"token\":\"t\",";

  @Test
  void requestsAreCountedByRouteStatusAndErrorWithBodiesItemsAndLaunches() {
    try (TestGateway gateway = TestGateway.sample()) {
      gateway.postJson(BATCH);
      gateway.postJson(MALFORMED);
      gateway.request(HttpMethod.GET, "/health").send().await();
      gateway.request(HttpMethod.GET, "/no/such/path").send().await();
      gateway.request(HttpMethod.GET, "/another/made-up/path").send().await();
      // Longer than the API path is another path; the API path's 405 has no body to count.
      gateway.post(TestGateway.PATH + "foo", "application/json", Buffer.buffer(BATCH));
      gateway.request(HttpMethod.GET, TestGateway.PATH).send().await();
      gateway.post(TestGateway.PATH + "/", "application/json", Buffer.buffer(BATCH));

      String metrics = gateway.request(HttpMethod.GET, "/metrics").send().await().bodyAsString();

      assertThat(metrics.lines().toList())
          .contains(
              "gateway_requests_seconds_count{error=\"0\",route=\"start_batch\",status=\"200\"} 2",
              "gateway_requests_seconds_count{error=\"400\",route=\"start_batch\",status=\"400\"} 1",
              "gateway_requests_seconds_count{error=\"0\",route=\"health\",status=\"200\"} 1",
              // Made-up paths share one series: they cannot grow the number of series.
              "gateway_requests_seconds_count{error=\"404\",route=\"other\",status=\"404\"} 3",
              "gateway_requests_seconds_count{error=\"405\",route=\"start_batch\",status=\"405\"} 1",
              "gateway_request_body_bytes_count 3",
              "gateway_request_body_bytes_sum "
                  + (double)
                      (2 * Buffer.buffer(BATCH).length() + Buffer.buffer(MALFORMED).length()),
              "gateway_batch_items_count 2",
              "gateway_batch_items_sum 4.0",
              "gateway_launches_total 2.0",
              "gateway_unmatched_items_total 2.0");
      assertThat(metrics)
          .contains(
              "gateway_requests_seconds_bucket{error=\"0\",route=\"start_batch\",status=\"200\",le=");
    }
  }
}
