package dev.triggergate.validation;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Holds LinearPattern to java.util.regex's verdicts on random strings near each pattern. */
class LinearPatternTest {
  private static final String ALPHABET = "\r\n@ \t\u0085\u2028\u2029abcdxZ09fg+().-;,:tse64_\uD800";

  @ParameterizedTest
  @ValueSource(
      strings = {
        "^[^@\\s]+@[^@\\s]+$",
        "^[0-9a-f]{24}$",
        "^data:[^;,]+;base64,",
        "^[a-z]+[0-9]*$",
        "^a?b*c+$",
        "^\\d{2,4}-\\w+$",
        "^[ab]*[cd]{2}$",
        "^[-a]+$",
        "^[a-]+$",
        "^[^a]{1,3}$",
        "^[^\n]+$",
        "^[ab\r]*$",
        "^\\W*\\w+$",
        "^$",
        "^"
      })
  void agreesWithJavaRegex(String regex) {
    Pattern pattern = Pattern.compile(regex);
    LinearPattern linear = LinearPattern.of(pattern);
    assertThat(linear).as("one-pass form of %s", regex).isNotNull();
    Random random = new Random(regex.hashCode());
    for (int i = 0; i < 50_000; i++) {
      String s = randomString(random, i);
      assertThat(linear.find(s)).as("%s on \"%s\"", regex, s).isEqualTo(pattern.matcher(s).find());
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "^\\+?[ ().-]*(?:[0-9][ ().-]*){5,20}$", // a group
        "^\\S+@\\S+$", // \S+ overlaps the @ after it: needs backtracking
        "^[^\n]*x?$", // the optional x overlaps the set before it
        "[a-z]+", // not anchored: a search from every position
        "^a+?$", // lazy
        "^é+$", // not ASCII
        "^a.b$" // the dot is not supported
      })
  void leavesOtherPatternsToJavaRegex(String regex) {
    assertThat(LinearPattern.of(Pattern.compile(regex))).isNull();
  }

  private static String randomString(Random random, int i) {
    StringBuilder s = new StringBuilder();
    int length = random.nextInt(i % 7 == 0 ? 30 : 8);
    for (int k = 0; k < length; k++) {
      if (random.nextInt(40) == 0) {
        s.append("\uD83D\uDE00");
      } else {
        s.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
      }
    }
    String value = i % 3 == 0 ? s.toString().replaceAll("[^a-f0-9@.]", "") : s.toString();
    return i % 5 == 0 ? value + (random.nextBoolean() ? "\r\n" : "\n") : value;
  }
}
