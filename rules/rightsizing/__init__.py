"""Rightsizing (family `rightsizing`): RS001-RS009."""
