"""A Python caller of Tollgate over gRPC, with stubs generated from proto/ by grpc_tools.

Usage: tollgate_client.py <stubs dir> <host:port> <api key> <customer id>
Authorizes a call, commits its actual usage, reads the balance, and prints the answers as JSON.
"""
import json
import sys

sys.path.insert(0, sys.argv[1])

import grpc  # noqa: E402
from tollgate.v1 import authorization_pb2, authorization_pb2_grpc, common_pb2, wallet_pb2, wallet_pb2_grpc  # noqa: E402

address, api_key, customer = sys.argv[2], sys.argv[3], sys.argv[4]
metadata = [("authorization", f"Bearer {api_key}")]

with grpc.insecure_channel(address) as channel:
    auth = authorization_pb2_grpc.AuthorizationServiceStub(channel)
    wallet = wallet_pb2_grpc.WalletServiceStub(channel)
    allowed = auth.Authorize(
        authorization_pb2.AuthorizeRequest(
            request_id="py-1",
            customer_id=customer,
            model="gpt-4o",
            estimated_quantities={"input_tokens": "1000", "output_tokens": "500"},
        ),
        metadata=metadata,
    )
    committed = auth.Commit(
        authorization_pb2.CommitRequest(reservation_id=allowed.reservation_id, event_id="py-e1", quantities={"input_tokens": "800", "output_tokens": "300"}),
        metadata=metadata,
    )
    balance = wallet.GetBalance(wallet_pb2.GetBalanceRequest(customer_id=customer), metadata=metadata).balance
    try:
        auth.Authorize(authorization_pb2.AuthorizeRequest(request_id="py-2", customer_id="nobody", model="gpt-4o", max_charge=common_pb2.Money(amount="1")), metadata=metadata)
        missing = "OK"
    except grpc.RpcError as error:
        missing = error.code().name
    print(
        json.dumps(
            {
                "decision": authorization_pb2.Decision.Name(allowed.decision),
                "reserved": allowed.reserved.amount,
                "charge": committed.charge.amount,
                "released": committed.released.amount,
                "available": balance.available.amount,
                "currency": balance.available.currency,
                "unknown_customer": missing,
            }
        )
    )
