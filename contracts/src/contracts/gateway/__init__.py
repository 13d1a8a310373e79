"""Events owned by the department gateway (部门接入网关)."""
