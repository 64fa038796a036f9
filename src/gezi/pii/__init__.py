"""gezi.pii"""
