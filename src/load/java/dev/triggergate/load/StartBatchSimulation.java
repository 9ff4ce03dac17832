package dev.triggergate.load;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.core.CoreDsl.constantUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.jsonPath;
import static io.gatling.javaapi.core.CoreDsl.rampUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.regex;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.header;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

import io.gatling.javaapi.core.Assertion;
import io.gatling.javaapi.core.CheckBuilder;
import io.gatling.javaapi.core.OpenInjectionStep;
import io.gatling.javaapi.core.Simulation;
import io.gatling.javaapi.http.HttpRequestActionBuilder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

/**
 * start_batch batches at a fixed arrival rate, to this gateway or to any Altcraft endpoint: an open
 * workload, so a slow target gets requests just as often and its slowness shows in the response
 * times instead of lowering the rate. Each virtual user sends one batch.
 *
 * <p>Run with {@code mvn -Pload gatling:test -Dname=value ...}; the properties and their defaults:
 *
 * <ul>
 *   <li>{@code target} (http://127.0.0.1:8080): base URL; the request goes to
 *       /api/v1.1/campaigns/triggers/start_batch under it
 *   <li>{@code rate} (100): batches started per second, whether or not earlier ones were answered
 *   <li>{@code duration} (30): seconds at that rate
 *   <li>{@code ramp} (0): seconds before that, the rate rising from 0 to {@code rate}
 *   <li>{@code items} (10): items per batch
 *   <li>{@code matching} (email): one of Altcraft's 11 matching modes; each item carries the keys
 *       the mode needs, with values no other item of the run has (email: email; phone: phone;
 *       profile_id: 24 hex digits; push_sub: provider and subscription_id; custom: field_value;
 *       email_phone: email and phone by turns)
 *   <li>{@code field_name} (Custom_ID): the field that custom and custom_sub match on
 *   <li>{@code trigger} (8): the trigger id; the memory engine with no triggers listed (its
 *       default) takes any id
 *   <li>{@code token} (tok-1): the API token, sent in the body; with no trigger tokens and no
 *       auth.allowed_tokens (the defaults) the gateway takes any
 *   <li>{@code request_ids} (true): a Request-ID header of its own on every request
 *   <li>{@code format} (json): json, or xml (the body and the answer in Altcraft's XML form)
 *   <li>{@code timeout_ms} (30000): a batch not answered within this counts as failed
 *   <li>{@code max_failed_percent} (1): the run fails when more than this share of batches failed
 *   <li>{@code max_p99_ms} (0 = no limit): the run fails when the 99th percentile is above this
 * </ul>
 *
 * <p>A batch succeeds on HTTP 200 with the envelope's {@code error} 0 (an error envelope counts as
 * failed whatever its status, as with {@code errors.http_status: always_200}), and not a repeated
 * request's replayed answer, which launched nothing. Gatling writes its HTML report to
 * target/gatling/startbatchsimulation-&lt;time&gt;/index.html.
 */
public class StartBatchSimulation extends Simulation {

  private static final String PATH = "/api/v1.1/campaigns/triggers/start_batch";

  private static final Set<String> MATCHING_MODES =
      Set.of(
          "email",
          "email_profile",
          "email_sub",
          "phone",
          "phone_sub",
          "profile_id",
          "push_sub",
          "custom",
          "custom_sub",
          "email_phone",
          "email_phone_sub");

  private static final Set<String> BOOLEANS = Set.of("true", "false");

  private final String target = text("target", "http://127.0.0.1:8080").replaceAll("/+$", "");
  private final double rate = decimal("rate", 100, 0, false, 1e6);
  private final int duration = (int) whole("duration", 30, 1, Integer.MAX_VALUE);
  private final int ramp = (int) whole("ramp", 0, 0, Integer.MAX_VALUE);
  private final int items = (int) whole("items", 10, 1, 1_000_000);
  private final String matching = oneOf("matching", "email", MATCHING_MODES);
  private final String fieldName = text("field_name", "Custom_ID");
  private final long trigger = whole("trigger", 8, 1, Long.MAX_VALUE);
  private final String token = text("token", "tok-1");
  private final boolean requestIds = Boolean.parseBoolean(oneOf("request_ids", "true", BOOLEANS));
  private final String format = oneOf("format", "json", Set.of("json", "xml"));
  private final boolean xml = format.equals("xml");
  private final int timeoutMs = (int) whole("timeout_ms", 30000, 1, Integer.MAX_VALUE);
  private final double maxFailedPercent = decimal("max_failed_percent", 1, 0, true, 100);
  private final int maxP99Ms = (int) whole("max_p99_ms", 0, 0, Integer.MAX_VALUE);

  /** Items made so far in this run: item n carries values made from n, so none repeats. */
  private final AtomicLong itemsMade = new AtomicLong();

  /** Everything in a body before its items, the same for every batch. */
  private final String head = xml ? xmlHead() : jsonHead();

  {
    System.out.printf(
        "start_batch to %s%s: %s batches/s for %d s after %d s of ramp, %d %s items each, %s,"
            + " request ids %s%n",
        target, PATH, rate, duration, ramp, items, matching, format, requestIds ? "on" : "off");

    HttpRequestActionBuilder startBatch =
        http("start_batch")
            .post(PATH)
            .body(StringBody(session -> batch()))
            .requestTimeout(Duration.ofMillis(timeoutMs))
            .check(status().is(200), envelopeSucceeded(), header("Duplicate-Request").notExists());
    if (requestIds) {
      startBatch = startBatch.header("Request-ID", session -> UUID.randomUUID().toString());
    }

    List<OpenInjectionStep> arrivals = new ArrayList<>();
    if (ramp > 0) {
      arrivals.add(rampUsersPerSec(0).to(rate).during(Duration.ofSeconds(ramp)));
    }
    arrivals.add(constantUsersPerSec(rate).during(Duration.ofSeconds(duration)));

    List<Assertion> assertions = new ArrayList<>();
    assertions.add(global().failedRequests().percent().lte(maxFailedPercent));
    if (maxP99Ms > 0) {
      assertions.add(global().responseTime().percentile(99).lte(maxP99Ms));
    }

    String batches = String.format("%d %s items a batch, %s", items, matching, format);
    String mediaType = "application/" + format;
    setUp(scenario(batches).exec(startBatch).injectOpen(arrivals))
        .protocols(
            http.baseUrl(target)
                .contentTypeHeader(mediaType)
                .acceptHeader(mediaType)
                // An API client keeps a pool of connections, not one per batch; the pool still
                // opens more when every connection waits on an answer, so the rate holds.
                .shareConnections()
                // One GET to the path before the run (this gateway answers 405; not in the
                // report) loads the HTTP client, so the first second measures the target, not
                // Gatling warming up.
                .warmUp(target + PATH))
        .assertions(assertions);
  }

  /**
   * The envelope's error code is 0. In XML by a regular expression, not XPath: the XPath engine's
   * first seconds of warming up would otherwise show in the target's response times.
   */
  private CheckBuilder envelopeSucceeded() {
    return xml ? regex("<error>([^<]*)</error>").is("0") : jsonPath("$.error").ofInt().is(0);
  }

  private String batch() {
    StringBuilder body = new StringBuilder(head.length() + items * 48).append(head);
    for (int i = 0; i < items; i++) {
      String[] keysAndValues = item(itemsMade.getAndIncrement());
      if (xml) {
        body.append("<data>");
        for (int k = 0; k < keysAndValues.length; k += 2) {
          String key = keysAndValues[k];
          body.append('<').append(key).append('>').append(keysAndValues[k + 1]);
          body.append("</").append(key).append('>');
        }
        body.append("</data>");
      } else {
        body.append(i == 0 ? "{" : ",{");
        for (int k = 0; k < keysAndValues.length; k += 2) {
          body.append(k == 0 ? "\"" : ",\"").append(keysAndValues[k]).append("\":\"");
          body.append(keysAndValues[k + 1]).append('"');
        }
        body.append('}');
      }
    }
    return body.append(xml ? "</xml>" : "]}").toString();
  }

  /**
   * The keys item n carries under the matching mode, each followed by its value. The values need no
   * escaping in JSON or XML.
   */
  private String[] item(long n) {
    String email = "load-" + n + "@example.com";
    // +7 and 10 digits or more: always within the 5 to 20 digits a phone may have.
    String phone = String.format("+7%010d", n);
    return switch (matching) {
      case "email", "email_profile", "email_sub" -> new String[] {"email", email};
      case "phone", "phone_sub" -> new String[] {"phone", phone};
      case "profile_id" -> new String[] {"profile_id", String.format("%024x", n)};
      case "push_sub" ->
          new String[] {"provider", "android-firebase", "subscription_id", "load-" + n};
      case "custom", "custom_sub" -> new String[] {"field_value", "load-" + n};
      // email_phone and email_phone_sub: each key in turn, so both lookups are exercised.
      default -> n % 2 == 0 ? new String[] {"email", email} : new String[] {"phone", phone};
    };
  }

  private boolean needsFieldName() {
    return matching.equals("custom") || matching.equals("custom_sub");
  }

  private String jsonHead() {
    StringBuilder head = new StringBuilder("{\"token\":\"").append(jsonEscaped(token));
    head.append("\",\"trigger_id\":").append(trigger);
    head.append(",\"matching\":\"").append(matching).append('"');
    if (needsFieldName()) {
      head.append(",\"field_name\":\"").append(jsonEscaped(fieldName)).append('"');
    }
    return head.append(",\"data\":[").toString();
  }

  private String xmlHead() {
    StringBuilder head = new StringBuilder("<xml><token>").append(xmlEscaped(token));
    head.append("</token><trigger_id>").append(trigger).append("</trigger_id>");
    // Asks for the answer in XML too, as an XML client of Altcraft does.
    head.append("<format>xml</format><matching>").append(matching).append("</matching>");
    if (needsFieldName()) {
      head.append("<field_name>").append(xmlEscaped(fieldName)).append("</field_name>");
    }
    return head.toString();
  }

  private static String jsonEscaped(String text) {
    StringBuilder out = new StringBuilder(text.length());
    for (char c : text.toCharArray()) {
      if (c == '"' || c == '\\') {
        out.append('\\').append(c);
      } else if (c < 0x20) {
        out.append(String.format("\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  private static String xmlEscaped(String text) {
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }

  private static String text(String name, String fallback) {
    String value = System.getProperty(name);
    return value == null || value.isBlank() ? fallback : value.trim();
  }

  private static String oneOf(String name, String fallback, Set<String> allowed) {
    String value = text(name, fallback);
    if (!allowed.contains(value)) {
      throw new IllegalArgumentException(
          name + ": expected one of " + new TreeSet<>(allowed) + ", got " + value);
    }
    return value;
  }

  private static long whole(String name, long fallback, long min, long max) {
    String value = text(name, null);
    if (value == null) {
      return fallback;
    }
    try {
      long number = Long.parseLong(value);
      if (number >= min && number <= max) {
        return number;
      }
    } catch (NumberFormatException e) {
      // refused below, with the range
    }
    throw new IllegalArgumentException(
        name + ": expected a whole number from " + min + " to " + max + ", got " + value);
  }

  /** A decimal above {@code min}, or from it when {@code minIncluded}, up to {@code max}. */
  private static double decimal(
      String name, double fallback, double min, boolean minIncluded, double max) {
    String value = text(name, null);
    if (value == null) {
      return fallback;
    }
    try {
      double number = Double.parseDouble(value);
      if ((minIncluded ? number >= min : number > min) && number <= max) {
        return number;
      }
    } catch (NumberFormatException e) {
      // refused below, with the range
    }
    throw new IllegalArgumentException(
        String.format(
            "%s: expected a number %s %s up to %s, got %s",
            name, minIncluded ? "from" : "above", min, max, value));
  }
}
