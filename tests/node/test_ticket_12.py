"""Port of Node's test/parallel/tls/ticket-12.js (ticket.js with TLS 1.2):
three servers given the same ticketKeys resume each other's tickets; after
each rotates to fresh keys (setTicketKeys) the client's ticket no longer
resumes and it gets a new one per server; once each has its first keys back
the first ticket resumes everywhere again; getTicketKeys() answers the keys
given. The whole log (which connection resumed, which ticket it logged) is
compared with live node's run of the same scenario."""
import json
import unittest

from nodeport import LoopTestCase, node_eval
from nodeport_ports5 import NODE_TICKETS, ticket_rounds


class Ticket12(LoopTestCase):
    def test_shared_and_rotated_ticket_keys_tls12(self):
        want = node_eval(NODE_TICKETS % json.dumps("TLSv1.2"))
        self.assertTrue(want["keysOk"])
        self.assertEqual([e["reused"] for e in want["log"]], [False, True, True] + [False] * 3
                         + [True] * 3)  # Node's own assertions, on node's run
        self.assertEqual(ticket_rounds(self, "TLSv1.2"), want)


if __name__ == "__main__":
    unittest.main()
