package org.mettle.method;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class LayerSelectionTest {
    @Test
    void resolvesEachForm() {
        assertEquals(List.of(0, 1, 2, 3, 4), LayerSelection.all().resolve(5));
        assertEquals(List.of(2, 5, 8, 11), LayerSelection.every(3).resolve(12));
        assertEquals(List.of(9, 10, 11), LayerSelection.last(3).resolve(12));
        assertEquals(List.of(0, 1), LayerSelection.last(7).resolve(2));
        assertEquals(List.of(0, 3, 5), new LayerSelection(" 5,0, 3 ").resolve(6));
    }

    @Test
    void badSelectionsSayWhatToDo() {
        IllegalArgumentException range = assertThrows(IllegalArgumentException.class, () -> new LayerSelection("0,12").resolve(12));
        assertTrue(range.getMessage().contains("out of range") && range.getMessage().contains("0..11"), range.getMessage());
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class, () -> LayerSelection.every(5).resolve(3));
        assertTrue(none.getMessage().contains("picks no layer"), none.getMessage());
        IllegalArgumentException word = assertThrows(IllegalArgumentException.class, () -> new LayerSelection("first:2").resolve(3));
        assertTrue(word.getMessage().contains("every:K"), word.getMessage());
        assertThrows(IllegalArgumentException.class, () -> LayerSelection.every(0).resolve(3));
    }
}
