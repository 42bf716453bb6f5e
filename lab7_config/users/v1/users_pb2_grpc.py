"""Client and server classes corresponding to protobuf-defined services."""
import grpc
import warnings
from google.protobuf import empty_pb2 as google_dot_protobuf_dot_empty__pb2
from ...users.v1 import users_pb2 as users_dot_v1_dot_users__pb2
GRPC_GENERATED_VERSION = '1.85.1'
GRPC_VERSION = grpc.__version__
_version_not_supported = False
try:
    from grpc._utilities import first_version_is_lower
    _version_not_supported = first_version_is_lower(GRPC_VERSION, GRPC_GENERATED_VERSION)
except ImportError:
    _version_not_supported = True
if _version_not_supported:
    raise RuntimeError(f'The grpc package installed is at version {GRPC_VERSION},' + ' but the generated code in users/v1/users_pb2_grpc.py depends on' + f' grpcio>={GRPC_GENERATED_VERSION}.' + f' Please upgrade your grpc module to grpcio>={GRPC_GENERATED_VERSION}' + f' or downgrade your generated code using grpcio-tools<={GRPC_VERSION}.')

class UserServiceStub:
    """Manages users. Errors are gRPC status codes, with a message that names the bad field:
    - INVALID_ARGUMENT: a field breaks a rule; the details carry a google.rpc.BadRequest with
    one field violation per bad field.
    - NOT_FOUND: no user has this id.
    - ALREADY_EXISTS: another user already has this email (compared case-insensitively).
    - RESOURCE_EXHAUSTED: the request is larger than the server accepts (64 KiB), or the server
    has as many calls in progress as it takes (retry later).
    """

    def __init__(self, channel):
        """Constructor.

        Args:
            channel: A grpc.Channel.
        """
        self.CreateUser = channel.unary_unary('/users.v1.UserService/CreateUser', request_serializer=users_dot_v1_dot_users__pb2.CreateUserRequest.SerializeToString, response_deserializer=users_dot_v1_dot_users__pb2.User.FromString, _registered_method=True)
        self.GetUser = channel.unary_unary('/users.v1.UserService/GetUser', request_serializer=users_dot_v1_dot_users__pb2.GetUserRequest.SerializeToString, response_deserializer=users_dot_v1_dot_users__pb2.User.FromString, _registered_method=True)
        self.ListUsers = channel.unary_unary('/users.v1.UserService/ListUsers', request_serializer=users_dot_v1_dot_users__pb2.ListUsersRequest.SerializeToString, response_deserializer=users_dot_v1_dot_users__pb2.ListUsersResponse.FromString, _registered_method=True)
        self.UpdateUser = channel.unary_unary('/users.v1.UserService/UpdateUser', request_serializer=users_dot_v1_dot_users__pb2.UpdateUserRequest.SerializeToString, response_deserializer=users_dot_v1_dot_users__pb2.User.FromString, _registered_method=True)
        self.DeleteUser = channel.unary_unary('/users.v1.UserService/DeleteUser', request_serializer=users_dot_v1_dot_users__pb2.DeleteUserRequest.SerializeToString, response_deserializer=google_dot_protobuf_dot_empty__pb2.Empty.FromString, _registered_method=True)

class UserServiceServicer:
    """Manages users. Errors are gRPC status codes, with a message that names the bad field:
    - INVALID_ARGUMENT: a field breaks a rule; the details carry a google.rpc.BadRequest with
    one field violation per bad field.
    - NOT_FOUND: no user has this id.
    - ALREADY_EXISTS: another user already has this email (compared case-insensitively).
    - RESOURCE_EXHAUSTED: the request is larger than the server accepts (64 KiB), or the server
    has as many calls in progress as it takes (retry later).
    """

    def CreateUser(self, request, context):
        """Registers a user (AIP-133). Returns the stored user, with its new id.
        """
        context.set_code(grpc.StatusCode.UNIMPLEMENTED)
        context.set_details('Method not implemented!')
        raise NotImplementedError('Method not implemented!')

    def GetUser(self, request, context):
        """Returns one user (AIP-131).
        """
        context.set_code(grpc.StatusCode.UNIMPLEMENTED)
        context.set_details('Method not implemented!')
        raise NotImplementedError('Method not implemented!')

    def ListUsers(self, request, context):
        """Lists users, oldest first, one page at a time (AIP-132, paging as in AIP-158).
        """
        context.set_code(grpc.StatusCode.UNIMPLEMENTED)
        context.set_details('Method not implemented!')
        raise NotImplementedError('Method not implemented!')

    def UpdateUser(self, request, context):
        """Replaces a user's name and email (AIP-134). Returns the updated user.
        """
        context.set_code(grpc.StatusCode.UNIMPLEMENTED)
        context.set_details('Method not implemented!')
        raise NotImplementedError('Method not implemented!')

    def DeleteUser(self, request, context):
        """Deletes a user (AIP-135). Nothing to return, so the answer is the empty message.
        """
        context.set_code(grpc.StatusCode.UNIMPLEMENTED)
        context.set_details('Method not implemented!')
        raise NotImplementedError('Method not implemented!')

def add_UserServiceServicer_to_server(servicer, server):
    rpc_method_handlers = {'CreateUser': grpc.unary_unary_rpc_method_handler(servicer.CreateUser, request_deserializer=users_dot_v1_dot_users__pb2.CreateUserRequest.FromString, response_serializer=users_dot_v1_dot_users__pb2.User.SerializeToString), 'GetUser': grpc.unary_unary_rpc_method_handler(servicer.GetUser, request_deserializer=users_dot_v1_dot_users__pb2.GetUserRequest.FromString, response_serializer=users_dot_v1_dot_users__pb2.User.SerializeToString), 'ListUsers': grpc.unary_unary_rpc_method_handler(servicer.ListUsers, request_deserializer=users_dot_v1_dot_users__pb2.ListUsersRequest.FromString, response_serializer=users_dot_v1_dot_users__pb2.ListUsersResponse.SerializeToString), 'UpdateUser': grpc.unary_unary_rpc_method_handler(servicer.UpdateUser, request_deserializer=users_dot_v1_dot_users__pb2.UpdateUserRequest.FromString, response_serializer=users_dot_v1_dot_users__pb2.User.SerializeToString), 'DeleteUser': grpc.unary_unary_rpc_method_handler(servicer.DeleteUser, request_deserializer=users_dot_v1_dot_users__pb2.DeleteUserRequest.FromString, response_serializer=google_dot_protobuf_dot_empty__pb2.Empty.SerializeToString)}
    generic_handler = grpc.method_handlers_generic_handler('users.v1.UserService', rpc_method_handlers)
    server.add_generic_rpc_handlers((generic_handler,))
    server.add_registered_method_handlers('users.v1.UserService', rpc_method_handlers)

class UserService:
    """Manages users. Errors are gRPC status codes, with a message that names the bad field:
    - INVALID_ARGUMENT: a field breaks a rule; the details carry a google.rpc.BadRequest with
    one field violation per bad field.
    - NOT_FOUND: no user has this id.
    - ALREADY_EXISTS: another user already has this email (compared case-insensitively).
    - RESOURCE_EXHAUSTED: the request is larger than the server accepts (64 KiB), or the server
    has as many calls in progress as it takes (retry later).
    """

    @staticmethod
    def CreateUser(request, target, options=(), channel_credentials=None, call_credentials=None, insecure=False, compression=None, wait_for_ready=None, timeout=None, metadata=None):
        return grpc.experimental.unary_unary(request, target, '/users.v1.UserService/CreateUser', users_dot_v1_dot_users__pb2.CreateUserRequest.SerializeToString, users_dot_v1_dot_users__pb2.User.FromString, options, channel_credentials, insecure, call_credentials, compression, wait_for_ready, timeout, metadata, _registered_method=True)

    @staticmethod
    def GetUser(request, target, options=(), channel_credentials=None, call_credentials=None, insecure=False, compression=None, wait_for_ready=None, timeout=None, metadata=None):
        return grpc.experimental.unary_unary(request, target, '/users.v1.UserService/GetUser', users_dot_v1_dot_users__pb2.GetUserRequest.SerializeToString, users_dot_v1_dot_users__pb2.User.FromString, options, channel_credentials, insecure, call_credentials, compression, wait_for_ready, timeout, metadata, _registered_method=True)

    @staticmethod
    def ListUsers(request, target, options=(), channel_credentials=None, call_credentials=None, insecure=False, compression=None, wait_for_ready=None, timeout=None, metadata=None):
        return grpc.experimental.unary_unary(request, target, '/users.v1.UserService/ListUsers', users_dot_v1_dot_users__pb2.ListUsersRequest.SerializeToString, users_dot_v1_dot_users__pb2.ListUsersResponse.FromString, options, channel_credentials, insecure, call_credentials, compression, wait_for_ready, timeout, metadata, _registered_method=True)

    @staticmethod
    def UpdateUser(request, target, options=(), channel_credentials=None, call_credentials=None, insecure=False, compression=None, wait_for_ready=None, timeout=None, metadata=None):
        return grpc.experimental.unary_unary(request, target, '/users.v1.UserService/UpdateUser', users_dot_v1_dot_users__pb2.UpdateUserRequest.SerializeToString, users_dot_v1_dot_users__pb2.User.FromString, options, channel_credentials, insecure, call_credentials, compression, wait_for_ready, timeout, metadata, _registered_method=True)

    @staticmethod
    def DeleteUser(request, target, options=(), channel_credentials=None, call_credentials=None, insecure=False, compression=None, wait_for_ready=None, timeout=None, metadata=None):
        return grpc.experimental.unary_unary(request, target, '/users.v1.UserService/DeleteUser', users_dot_v1_dot_users__pb2.DeleteUserRequest.SerializeToString, google_dot_protobuf_dot_empty__pb2.Empty.FromString, options, channel_credentials, insecure, call_credentials, compression, wait_for_ready, timeout, metadata, _registered_method=True)

class AuthServiceStub:
    """Authentication (lab 3). Every call except CreateUser, Login and the health and reflection
    services needs the metadata `authorization: Bearer <access_token>`, where the token is one that
    Login issued (a JWT signed with HS256). Without a valid one the call ends UNAUTHENTICATED;
    UpdateUser and DeleteUser of another user's record end PERMISSION_DENIED unless the token
    carries the admin role.
    """

    def __init__(self, channel):
        """Constructor.

        Args:
            channel: A grpc.Channel.
        """
        self.Login = channel.unary_unary('/users.v1.AuthService/Login', request_serializer=users_dot_v1_dot_users__pb2.LoginRequest.SerializeToString, response_deserializer=users_dot_v1_dot_users__pb2.LoginResponse.FromString, _registered_method=True)

class AuthServiceServicer:
    """Authentication (lab 3). Every call except CreateUser, Login and the health and reflection
    services needs the metadata `authorization: Bearer <access_token>`, where the token is one that
    Login issued (a JWT signed with HS256). Without a valid one the call ends UNAUTHENTICATED;
    UpdateUser and DeleteUser of another user's record end PERMISSION_DENIED unless the token
    carries the admin role.
    """

    def Login(self, request, context):
        """Exchanges an email and a password for an access token. Wrong credentials (an unknown email
        or a wrong password: the same answer) are UNAUTHENTICATED; too many failures for one email
        in a short while are RESOURCE_EXHAUSTED until the lock expires.
        """
        context.set_code(grpc.StatusCode.UNIMPLEMENTED)
        context.set_details('Method not implemented!')
        raise NotImplementedError('Method not implemented!')

def add_AuthServiceServicer_to_server(servicer, server):
    rpc_method_handlers = {'Login': grpc.unary_unary_rpc_method_handler(servicer.Login, request_deserializer=users_dot_v1_dot_users__pb2.LoginRequest.FromString, response_serializer=users_dot_v1_dot_users__pb2.LoginResponse.SerializeToString)}
    generic_handler = grpc.method_handlers_generic_handler('users.v1.AuthService', rpc_method_handlers)
    server.add_generic_rpc_handlers((generic_handler,))
    server.add_registered_method_handlers('users.v1.AuthService', rpc_method_handlers)

class AuthService:
    """Authentication (lab 3). Every call except CreateUser, Login and the health and reflection
    services needs the metadata `authorization: Bearer <access_token>`, where the token is one that
    Login issued (a JWT signed with HS256). Without a valid one the call ends UNAUTHENTICATED;
    UpdateUser and DeleteUser of another user's record end PERMISSION_DENIED unless the token
    carries the admin role.
    """

    @staticmethod
    def Login(request, target, options=(), channel_credentials=None, call_credentials=None, insecure=False, compression=None, wait_for_ready=None, timeout=None, metadata=None):
        return grpc.experimental.unary_unary(request, target, '/users.v1.AuthService/Login', users_dot_v1_dot_users__pb2.LoginRequest.SerializeToString, users_dot_v1_dot_users__pb2.LoginResponse.FromString, options, channel_credentials, insecure, call_credentials, compression, wait_for_ready, timeout, metadata, _registered_method=True)