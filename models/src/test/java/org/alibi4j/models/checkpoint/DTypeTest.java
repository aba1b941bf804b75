package org.alibi4j.models.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class DTypeTest {

    @Test
    void safetensorsNamesAndWidths() {
        assertEquals(DType.F32, DType.ofSafetensors("F32"));
        assertEquals(DType.F16, DType.ofSafetensors("F16"));
        assertEquals(DType.BF16, DType.ofSafetensors("BF16"));
        assertEquals(4, DType.F32.bytes());
        assertEquals(2, DType.F16.bytes());
        assertEquals(2, DType.BF16.bytes());
    }

    @Test
    void otherNamesAreRefusedWithTheSupportedOnes() {
        for (String name : new String[] {"I64", "f16", "F64", "F8_E4M3", ""}) {
            InvalidModelException e = assertThrows(InvalidModelException.class, () -> DType.ofSafetensors(name));
            assertTrue(e.getMessage().contains("'" + name + "'") && e.getMessage().contains("F32, F16, BF16"),
                    e.getMessage());
        }
    }
}
