"""A test double of auth's RPC interface (service name "auth"): only get_contact, from a dict."""
from nameko.rpc import rpc

CONTACTS = {
    7: {"user_id": 7, "role": "student", "name": "张三", "email": "zhangsan@stu.example.cn", "phone": "13800000007"},
    9: {"user_id": 9, "role": "employer", "name": "杭州云帆科技", "email": "hr@yunfan.example.com",
        "phone": "13900000009"},
}


class FakeAuth:
    name = "auth"

    @rpc
    def get_contact(self, user_id):
        return CONTACTS.get(int(user_id))
