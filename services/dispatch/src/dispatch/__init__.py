"""Dispatch service (分办服务): one task per selected item, parallel and sequential release to the
departments' request topics, verified results joined back into the case stream."""
