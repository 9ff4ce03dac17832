package dev.triggergate.engine.memory;

import static org.assertj.core.api.Assertions.assertThat;

import dev.triggergate.TestGateway;
import dev.triggergate.http.Envelopes;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each matching mode of SPEC §4 against the sample profiles: what it finds, what it must not find
 * (the same key in the other place), and the comparison rules of SPEC §7.
 */
class MatchingModesTest {

  private static TestGateway gateway;

  @BeforeAll
  static void start() {
    gateway = TestGateway.sample();
  }

  @AfterAll
  static void stop() {
    gateway.close();
  }

  static Stream<Arguments> modes() {
    return Stream.of(
        Arguments.of(
            "email",
            null,
            "[{email:'ANNA@example.com'},{email:'ANNA.WORK@example.com'}]",
            List.of(TestGateway.ANNA)),
        Arguments.of(
            "email",
            null,
            "[{email:'boris@example.com'},{email:'nobody@example.com'}]",
            List.of(TestGateway.BORIS)),
        Arguments.of(
            "email_profile",
            null,
            "[{email:'anna.work@example.com'},{email:'Boris@Example.com'}]",
            List.of(TestGateway.BORIS)),
        Arguments.of(
            "email_sub",
            null,
            "[{email:'anna@example.com'},{email:'anna.work@example.com'}]",
            List.of(TestGateway.ANNA)),
        Arguments.of(
            "phone",
            null,
            "[{phone:'+7 900 000-00-03'},{phone:'+7 (900) 000-00-02'}]",
            List.of(TestGateway.THIRD, TestGateway.BORIS)),
        Arguments.of(
            "phone_sub",
            null,
            "[{phone:'+79000000001'},{phone:'7.900.000.00.02'}]",
            List.of(TestGateway.BORIS)),
        Arguments.of(
            "profile_id",
            null,
            "[{profile_id:'6611a0c4e7b1f2a3b4c5d6e7'},{profile_id:'000000000000000000000000'}]",
            List.of(TestGateway.THIRD)),
        Arguments.of(
            "push_sub",
            null,
            "[{provider:'ios-apns',subscription_id:'fcm-token-anna'},"
                + "{provider:'android-firebase',subscription_id:'fcm-token-anna'}]",
            List.of(TestGateway.ANNA)),
        Arguments.of(
            "custom",
            "Custom_ID",
            "[{field_value:4},{field_value:'002'},{field_value:'2'}]",
            List.of(TestGateway.THIRD, TestGateway.BORIS)),
        Arguments.of(
            "custom",
            "Custom_ID",
            "[{field_value:'4'},{field_value:4.0}]",
            List.of(TestGateway.THIRD)),
        Arguments.of(
            "custom_sub",
            "Loyalty_ID",
            "[{field_value:'L-77'},{field_value:'L-78'}]",
            List.of(TestGateway.THIRD)),
        Arguments.of("custom_sub", "Custom_ID", "[{field_value:'003'}]", List.of()),
        Arguments.of(
            "email_phone",
            null,
            "[{phone:'+79000000003'},{phone:'+79000000002'},{email:'anna.work@example.com'}]",
            List.of(TestGateway.THIRD)),
        Arguments.of(
            "email_phone_sub",
            null,
            "[{email:'anna.work@example.com'},{phone:'+79000000002'},{phone:'+79000000001'}]",
            List.of(TestGateway.ANNA, TestGateway.BORIS)));
  }

  @ParameterizedTest(name = "{0} {2}")
  @MethodSource("modes")
  void modeFindsProfilesWhereSpecSays(
      String matching, String fieldName, String items, List<String> expected) {
    JsonObject body =
        new JsonObject()
            .put("token", "tok-demo-1")
            .put("trigger_id", 8)
            .put("matching", matching)
            .put("data", new JsonArray(items.replace('\'', '"').replaceAll("(\\w+):", "\"$1\":")));
    if (fieldName != null) {
      body.put("field_name", fieldName);
    }
    long before = gateway.journal().total();

    HttpResponse<Buffer> response = gateway.postJson(body.encode());

    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
    assertThat(Envelopes.profileIds(response)).containsExactlyElementsOf(expected);
    assertThat(gateway.journal().total() - before).isEqualTo(expected.size());
  }

  @Test
  void profileNamedTwiceInOneBatchIsLaunchedOnce() {
    long before = gateway.journal().total();

    HttpResponse<Buffer> response =
        gateway.postJson(
            """
            {"token":"tok-demo-1","trigger_id":8,"matching":"email_phone","data":[
              {"email":"anna@example.com"},{"phone":"+79000000001"},{"email":"ANNA@example.com"},
              {"email":"boris@example.com"}]}
            """);

    assertThat(Envelopes.profileIds(response)).containsExactly(TestGateway.ANNA, TestGateway.BORIS);
    assertThat(gateway.journal().total() - before).isEqualTo(2);
  }
}
