package org.mettle.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {

    @Test
    void parsesEveryValueKind() throws Exception {
        Object v = Json.parse(" {\"a\": [1, -2, 3.5, -0.25e2, 1E3, true, false, null, \"s\", {}, []], \"b\": {\"c\": 0}} \n");
        Map<?, ?> m = (Map<?, ?>) v;
        List<?> a = (List<?>) m.get("a");
        assertEquals(List.of(1L, -2L, 3.5, -25.0, 1000.0, true, false), a.subList(0, 7));
        assertNull(a.get(7));
        assertEquals("s", a.get(8));
        assertEquals(Map.of(), a.get(9));
        assertEquals(List.of(), a.get(10));
        assertEquals(Map.of("c", 0L), m.get("b"));
        assertEquals(List.of("a", "b"), List.copyOf(m.keySet()), "document order is kept");
    }

    @Test
    void keepsIntegersExactAndFlagsHugeOnes() throws Exception {
        assertEquals(Long.MAX_VALUE, Json.parse("9223372036854775807"));
        assertEquals(Long.MIN_VALUE, Json.parse("-9223372036854775808"));
        assertEquals(123456789012345678L, Json.parse("123456789012345678"));
        assertEquals(new BigInteger("9223372036854775808"), Json.parse("9223372036854775808"));
        assertEquals(new BigInteger("-99999999999999999999999"), Json.parse("-99999999999999999999999"));
        assertEquals(0L, Json.parse("-0"));
    }

    @Test
    void decodesEscapesAndSurrogatePairs() throws Exception {
        assertEquals("q\" b\\ s/ \b\f\n\r\t \u00e9 \uD83D\uDE42",
                Json.parse("\"q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t \\u00E9 \\ud83d\\ude42\""));
        assertEquals("raw \u00e9 \uD83D\uDE42", Json.parse("\"raw \u00e9 \uD83D\uDE42\""));
    }

    @Test
    void quoteRoundTrips() throws Exception {
        String s = "a\"b\\c\n\u0001\u001f\t\u00e9\uD83D\uDE42/";
        assertEquals(s, Json.parse(Json.quote(s)));
    }

    @Test
    void rejectsMalformedInputWithPosition() {
        assertError("{\"a\": 1,}", "expected a string key", 8);
        assertError("[1 2]", "expected ',' or ']'", 3);
        assertError("{\"a\" 1}", "expected ':'", 5);
        assertError("\"abc", "unterminated string", 0);
        assertError("\"a\u0001\"", "control character", 2);
        assertError("\"\\x\"", "invalid escape", 1);
        assertError("\"\\u12G4\"", "invalid hex digit", 5);
        assertError("\"\\ud83d\"", "lone high surrogate", 1);
        assertError("\"\\ude42\"", "lone low surrogate", 1);
        assertError("\"\\ud83d\\u0041\"", "not a low surrogate", 1);
        assertError("01", "after the end", 1);
        assertError("1.", "digit after '.'", 2);
        assertError("1e+", "digit in exponent", 3);
        assertError("-", "expected a digit", 1);
        assertError("tru", "expected 'true'", 0);
        assertError("{} x", "after the end", 3);
        assertError("", "unexpected end of input", 0);
        assertError("[1, 2", "unexpected end of input", 5);
        assertError("NaN", "expected a value", 0);
    }

    @Test
    void rejectsDuplicateKeysNamingTheKeyAndDepth() {
        Json.ParseException top = assertThrows(Json.ParseException.class, () -> Json.parse("{\"x\": 1, \"x\": 2}"));
        assertEquals("x", top.duplicateKey());
        assertEquals(1, top.objectDepth());
        assertEquals(9, top.position());
        Json.ParseException nested = assertThrows(Json.ParseException.class, () -> Json.parse("{\"o\": {\"k\": 1, \"k\": 1}}"));
        assertEquals("k", nested.duplicateKey());
        assertEquals(2, nested.objectDepth());
    }

    @Test
    void limitsNestingDepth() throws Exception {
        String ok = "[".repeat(Json.MAX_DEPTH) + "]".repeat(Json.MAX_DEPTH);
        assertTrue(Json.parse(ok) instanceof List);
        String deep = "[".repeat(Json.MAX_DEPTH + 1) + "]".repeat(Json.MAX_DEPTH + 1);
        Json.ParseException e = assertThrows(Json.ParseException.class, () -> Json.parse(deep));
        assertTrue(e.getMessage().contains("nesting deeper than " + Json.MAX_DEPTH), e.getMessage());
        // Far deeper input must still fail cleanly, not with a StackOverflowError.
        assertThrows(Json.ParseException.class, () -> Json.parse("{\"a\":".repeat(100_000)));
    }

    private static void assertError(String json, String expectedText, int expectedPosition) {
        Json.ParseException e = assertThrows(Json.ParseException.class, () -> Json.parse(json), json);
        assertTrue(e.getMessage().contains(expectedText), "'" + json + "' -> " + e.getMessage());
        assertEquals(expectedPosition, e.position(), "'" + json + "' -> " + e.getMessage());
    }
}
