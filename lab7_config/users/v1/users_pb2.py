"""Generated protocol buffer code."""
from google.protobuf import descriptor as _descriptor
from google.protobuf import descriptor_pool as _descriptor_pool
from google.protobuf import runtime_version as _runtime_version
from google.protobuf import symbol_database as _symbol_database
from google.protobuf.internal import builder as _builder
_runtime_version.ValidateProtobufRuntimeVersion(_runtime_version.Domain.PUBLIC, 7, 35, 1, '', 'users/v1/users.proto')
_sym_db = _symbol_database.Default()
from google.protobuf import empty_pb2 as google_dot_protobuf_dot_empty__pb2
from google.protobuf import timestamp_pb2 as google_dot_protobuf_dot_timestamp__pb2
DESCRIPTOR = _descriptor_pool.Default().AddSerializedFile(b'\n\x14users/v1/users.proto\x12\x08users.v1\x1a\x1bgoogle/protobuf/empty.proto\x1a\x1fgoogle/protobuf/timestamp.proto"\x91\x01\n\x04User\x12\n\n\x02id\x18\x01 \x01(\t\x12\x0c\n\x04name\x18\x02 \x01(\t\x12\r\n\x05email\x18\x03 \x01(\t\x12/\n\x0bcreate_time\x18\x04 \x01(\x0b2\x1a.google.protobuf.Timestamp\x12/\n\x0bupdate_time\x18\x05 \x01(\x0b2\x1a.google.protobuf.Timestamp"B\n\x11CreateUserRequest\x12\x0c\n\x04name\x18\x01 \x01(\t\x12\r\n\x05email\x18\x02 \x01(\t\x12\x10\n\x08password\x18\x03 \x01(\t"\x1c\n\x0eGetUserRequest\x12\n\n\x02id\x18\x01 \x01(\t"9\n\x10ListUsersRequest\x12\x11\n\tpage_size\x18\x01 \x01(\x05\x12\x12\n\npage_token\x18\x02 \x01(\t"K\n\x11ListUsersResponse\x12\x1d\n\x05users\x18\x01 \x03(\x0b2\x0e.users.v1.User\x12\x17\n\x0fnext_page_token\x18\x02 \x01(\t"<\n\x11UpdateUserRequest\x12\n\n\x02id\x18\x01 \x01(\t\x12\x0c\n\x04name\x18\x02 \x01(\t\x12\r\n\x05email\x18\x03 \x01(\t"\x1f\n\x11DeleteUserRequest\x12\n\n\x02id\x18\x01 \x01(\t"/\n\x0cLoginRequest\x12\r\n\x05email\x18\x01 \x01(\t\x12\x10\n\x08password\x18\x02 \x01(\t"M\n\rLoginResponse\x12\x14\n\x0caccess_token\x18\x01 \x01(\t\x12\x12\n\nexpires_in\x18\x02 \x01(\x03\x12\x12\n\ntoken_type\x18\x03 \x01(\t2\xc1\x02\n\x0bUserService\x129\n\nCreateUser\x12\x1b.users.v1.CreateUserRequest\x1a\x0e.users.v1.User\x123\n\x07GetUser\x12\x18.users.v1.GetUserRequest\x1a\x0e.users.v1.User\x12D\n\tListUsers\x12\x1a.users.v1.ListUsersRequest\x1a\x1b.users.v1.ListUsersResponse\x129\n\nUpdateUser\x12\x1b.users.v1.UpdateUserRequest\x1a\x0e.users.v1.User\x12A\n\nDeleteUser\x12\x1b.users.v1.DeleteUserRequest\x1a\x16.google.protobuf.Empty2G\n\x0bAuthService\x128\n\x05Login\x12\x16.users.v1.LoginRequest\x1a\x17.users.v1.LoginResponseb\x06proto3')
_globals = globals()
_builder.BuildMessageAndEnumDescriptors(DESCRIPTOR, _globals)
_builder.BuildTopDescriptorsAndMessages(DESCRIPTOR, 'users.v1.users_pb2', _globals)
if not _descriptor._USE_C_DESCRIPTORS:
    DESCRIPTOR._loaded_options = None
    _globals['_USER']._serialized_start = 97
    _globals['_USER']._serialized_end = 242
    _globals['_CREATEUSERREQUEST']._serialized_start = 244
    _globals['_CREATEUSERREQUEST']._serialized_end = 310
    _globals['_GETUSERREQUEST']._serialized_start = 312
    _globals['_GETUSERREQUEST']._serialized_end = 340
    _globals['_LISTUSERSREQUEST']._serialized_start = 342
    _globals['_LISTUSERSREQUEST']._serialized_end = 399
    _globals['_LISTUSERSRESPONSE']._serialized_start = 401
    _globals['_LISTUSERSRESPONSE']._serialized_end = 476
    _globals['_UPDATEUSERREQUEST']._serialized_start = 478
    _globals['_UPDATEUSERREQUEST']._serialized_end = 538
    _globals['_DELETEUSERREQUEST']._serialized_start = 540
    _globals['_DELETEUSERREQUEST']._serialized_end = 571
    _globals['_LOGINREQUEST']._serialized_start = 573
    _globals['_LOGINREQUEST']._serialized_end = 620
    _globals['_LOGINRESPONSE']._serialized_start = 622
    _globals['_LOGINRESPONSE']._serialized_end = 699
    _globals['_USERSERVICE']._serialized_start = 702
    _globals['_USERSERVICE']._serialized_end = 1023
    _globals['_AUTHSERVICE']._serialized_start = 1025
    _globals['_AUTHSERVICE']._serialized_end = 1096