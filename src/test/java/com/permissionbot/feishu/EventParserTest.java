package com.permissionbot.feishu;

import com.permissionbot.domain.CardClick;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Card callbacks as the platform sends them, read into clicks. */
class EventParserTest {
    /** The form submit of https://open.feishu.cn/document/feishu-cards/card-json-v2-components/containers/form-container */
    static final String FORM_SUBMIT = """
            {"schema":"2.0","header":{"event_id":"f7984f25108f8137722bb63c","token":"066zT6pS","create_time":"1603977298000000",
             "event_type":"card.action.trigger","tenant_key":"2df73991750","app_id":"cli_a5fb0ae6a4"},
             "event":{"operator":{"tenant_key":"2df73991750","open_id":"ou_3c14f3a59eaf2825dbe25359f15"},
              "token":"c-295ee57216a5dc9de90fefd0aadb4b1d7d",
              "action":{"value":{"action":"apply","nonce":"n1"},"tag":"button","timezone":"Asia/Shanghai",
               "form_value":{"reason":"for the\\nsync job","Select_a2d5b7l3zd":"1","MultiSelect_1":["a","b"],"empty":null},
               "name":"apply"},
              "host":"im_message","context":{"open_message_id":"om_574d639e","open_chat_id":"oc_e4d2605c"}}}""";

    @Test
    void a_form_submit_brings_the_button_value_and_the_inputs_by_name() {
        CardClick c = EventParser.cardClick(EventParser.tree(FORM_SUBMIT));
        assertEquals(Map.of("action", "apply", "nonce", "n1"), c.value());
        assertEquals(Map.of("reason", "for the\nsync job", "Select_a2d5b7l3zd", "1", "MultiSelect_1", "[\"a\",\"b\"]", "empty", ""),
                c.form());
        assertEquals("om_574d639e", c.messageId());
        assertEquals("ou_3c14f3a59eaf2825dbe25359f15", c.operatorOpenId());
    }

    @Test
    void a_button_outside_a_form_has_no_form_values() {
        CardClick c = EventParser.cardClick(EventParser.tree(FORM_SUBMIT.replaceAll("\"form_value\":\\{[^}]*},", "")));
        assertEquals(Map.of(), c.form());
        assertEquals("apply", c.action());
    }
}
