"""gezi.checks"""
