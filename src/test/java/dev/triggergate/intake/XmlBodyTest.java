package dev.triggergate.intake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.triggergate.api.ApiError;
import dev.triggergate.validation.BatchSchema;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

/** The XML form of SPEC §3: the same JSON a JSON body gives, and nothing hostile gets through. */
class XmlBodyTest {
  private final XmlBody xml = new XmlBody(BatchSchema.load().document());

  private JsonObject decode(String text) {
    return xml.decode(Buffer.buffer(text));
  }

  @Test
  void fieldsTakeTheTypesTheSchemaExpects() {
    JsonObject body =
        decode(
            """
            <?xml version="1.0" encoding="UTF-8"?>
            <anything>
              <token>tok</token><trigger_id> 8 </trigger_id><skip_triggers>true</skip_triggers>
              <resource_id>3</resource_id>
              <content><H1>Hi &amp; welcome</H1><H2><![CDATA[<b>bold</b>]]></H2></content>
              <data><email>a@example.com</email><custom_data><city>Kazan</city></custom_data></data>
              <attach><name>f.txt</name><data>data:text/plain;base64,SGk=</data></attach>
              <custom_field>kept</custom_field>
            </anything>
            """);

    assertThat(body)
        .isEqualTo(
            new JsonObject(
                """
                {"token":"tok","trigger_id":8,"skip_triggers":true,"resource_id":3,
                 "content":{"H1":"Hi & welcome","H2":"<b>bold</b>"},
                 "data":[{"email":"a@example.com","custom_data":{"city":"Kazan"}}],
                 "attach":[{"name":"f.txt","data":"data:text/plain;base64,SGk="}],
                 "custom_field":"kept"}
                """));
  }

  @Test
  void repeatedElementsBecomeArraysAndValuesInsideDataStayText() {
    JsonObject body =
        decode(
            "<xml><data><field_value>003</field_value></data><data><field_value>4</field_value>"
                + "</data><x>1</x><x>2</x></xml>");

    assertThat(body.getJsonArray("data").getJsonObject(0).getValue("field_value")).isEqualTo("003");
    assertThat(body.getJsonArray("data").getJsonObject(1).getValue("field_value")).isEqualTo("4");
    assertThat(body.getJsonArray("x").getList()).containsExactly("1", "2");
  }

  @Test
  void unconvertibleValuesStayTextForTheSchemaToName() {
    JsonObject body =
        decode("<xml><trigger_id>eight</trigger_id><skip_triggers>yes</skip_triggers></xml>");

    assertThat(body.getValue("trigger_id")).isEqualTo("eight");
    assertThat(body.getValue("skip_triggers")).isEqualTo("yes");
  }

  @Test
  void doctypeAndEntitiesAreRefusedWithoutFetchingOrExpanding() {
    assertRefused(
        "<?xml version=\"1.0\"?><!DOCTYPE xml [<!ENTITY x SYSTEM \"http://127.0.0.1:1/\">]>"
            + "<xml><token>&x;</token></xml>",
        "XML DOCTYPE declarations are not allowed");
    assertRefused(
        "<!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;\">]>"
            + "<xml><token>&lol2;</token></xml>",
        "XML DOCTYPE declarations are not allowed");
    assertRefused("<xml><token>&undeclared;</token></xml>", "");
  }

  @Test
  void malformedAndHostileShapesAreRefused() {
    assertRefused("<xml><token>t</xml>", "malformed XML");
    assertRefused("", "malformed XML");
    assertRefused("<xml><a>1</a></xml><xml/>", "malformed XML");
    assertRefused(
        "<xml><data>text<email>a@b</email></data></xml>", "mixes text and child elements");
    assertRefused(
        "<xml>" + "<a>".repeat(100) + "</a>".repeat(100) + "</xml>", "XML nested deeper than 32");
  }

  private void assertRefused(String text, String debug) {
    assertThatThrownBy(() -> decode(text))
        .isInstanceOf(ApiError.class)
        .hasMessageContaining(debug)
        .satisfies(e -> assertThat(((ApiError) e).code().code()).isEqualTo(400));
  }
}
